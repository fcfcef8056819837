"""Staff second factor: set-up with recovery codes, the code step at sign-in, the switch requiring it."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.identity.second_factor import STEP_SECONDS
from storefront.models import AuditEntry, RecoveryCode, StaffRole, StaffUser
from tests.second_factor_steps import (
    WRONG,
    account,
    enrol,
    enter_code,
    next_code,
    recovery_codes_on,
    unused_recovery_codes,
)
from tests.shop.helpers import csrf_from
from tests.staff.test_login import sign_in

STAFF = "staff.localhost"
EMAIL = "ops@platform.test"
PASSWORD = "correct horse battery"


def _enrolled(app, client_for, make_staff, role: StaffRole = StaffRole.SUPPORT):
    """A staff member with TOTP on, signed out; return a fresh client and the recovery codes."""
    make_staff(role=role)
    client = client_for(STAFF)
    sign_in(client, EMAIL, PASSWORD)
    codes = enrol(app, client, StaffUser, EMAIL, "/staff")
    return client_for(STAFF), codes


def _signed_in(client) -> bool:
    return client.get("/staff/security").status_code == 200


def test_setting_up_shows_a_qr_code_and_key_named_after_the_platform(app, client_for, make_staff) -> None:
    make_staff()
    client = client_for(STAFF)
    sign_in(client, EMAIL, PASSWORD)
    page = client.get("/staff/security")
    assert "Second factor: <strong>off</strong>" in page.text and page.headers["Cache-Control"] == "no-store"
    started = client.post("/staff/security/totp/start", data={"csrf_token": csrf_from(page.text)})
    secret = account(app, StaffUser, EMAIL).totp_secret
    assert started.status_code == 200 and started.headers["Cache-Control"] == "no-store"
    assert "<svg" in started.text and "style=" not in started.text and "<style" not in started.text
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in started.text
    assert (
        f"otpauth://totp/WebServer:ops%40platform.test?secret={secret}&amp;issuer=WebServer" in started.text
    )
    assert account(app, StaffUser, EMAIL).has_second_factor is False  # not until a code is confirmed


def test_a_wrong_first_code_turns_nothing_on(app, client_for, make_staff) -> None:
    make_staff()
    client = client_for(STAFF)
    sign_in(client, EMAIL, PASSWORD)
    token = csrf_from(client.get("/staff/security").text)
    client.post("/staff/security/totp/start", data={"csrf_token": token})
    refused = client.post("/staff/security/totp/confirm", data={"code": "000000", "csrf_token": token})
    assert refused.status_code == 400 and WRONG in refused.text and "<svg" in refused.text
    assert account(app, StaffUser, EMAIL).has_second_factor is False


def test_confirming_turns_it_on_with_ten_recovery_codes_stored_hashed(app, client_for, make_staff) -> None:
    staff_id = make_staff()
    client = client_for(STAFF)
    sign_in(client, EMAIL, PASSWORD)
    codes = enrol(app, client, StaffUser, EMAIL, "/staff")
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "Recovery codes left: <strong>10</strong>" in client.get("/staff/security").text
    with app.app_context():
        hashes = db.session.scalars(
            select(RecoveryCode.code_hash).where(RecoveryCode.identity == f"staff:{staff_id}")
        ).all()
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor == f"staff:{staff_id}"))
        assert set(actions) >= {"second_factor_setup", "second_factor_on"}
    assert len(hashes) == 10 and not set(codes) & set(hashes)
    assert account(app, StaffUser, EMAIL).has_second_factor


def test_sign_in_then_asks_for_the_code_and_the_right_code_signs_in(app, client_for, make_staff) -> None:
    client, _ = _enrolled(app, client_for, make_staff)
    asked = sign_in(client, EMAIL, PASSWORD)
    assert asked.status_code == 302 and asked.headers["Location"] == "/staff/login/code"
    assert not _signed_in(client)
    page = client.get("/staff/login/code")
    assert "Enter your code" in page.text and page.headers["Cache-Control"] == "no-store"
    done = enter_code(client, "/staff", next_code(app, StaffUser, EMAIL))
    assert done.status_code == 302 and done.headers["Location"] == "/staff/"
    assert _signed_in(client)
    assert client.get("/staff/login/code").headers["Location"] == "/staff/"  # the step is over


def test_the_right_code_starts_a_new_session(app, client_for, make_staff) -> None:
    client, _ = _enrolled(app, client_for, make_staff)
    sign_in(client, EMAIL, PASSWORD)
    waiting = csrf_from(client.get("/staff/login/code").text)
    assert enter_code(client, "/staff", next_code(app, StaffUser, EMAIL)).status_code == 302
    assert client.post("/staff/logout", data={"csrf_token": waiting}).status_code == 400
    assert _signed_in(client)


def test_a_wrong_code_is_refused_and_signs_nobody_in(app, client_for, make_staff) -> None:
    client, _ = _enrolled(app, client_for, make_staff)
    sign_in(client, EMAIL, PASSWORD)
    for code in ("000000", "12345", "not-a-code", ""):
        refused = enter_code(client, "/staff", code)
        assert refused.status_code == 400 and WRONG in refused.text, code
    assert not _signed_in(client)


def test_a_code_is_never_accepted_twice(app, client_for, make_staff) -> None:
    client, _ = _enrolled(app, client_for, make_staff)
    code = next_code(app, StaffUser, EMAIL)
    sign_in(client, EMAIL, PASSWORD)
    assert enter_code(client, "/staff", code).status_code == 302
    again = client_for(STAFF)
    sign_in(again, EMAIL, PASSWORD)
    replayed = enter_code(again, "/staff", code)
    assert replayed.status_code == 400 and WRONG in replayed.text
    assert not _signed_in(again)


def test_a_recovery_code_works_once_in_any_case_with_or_without_dashes(app, client_for, make_staff) -> None:
    client, codes = _enrolled(app, client_for, make_staff)
    staff_id = account(app, StaffUser, EMAIL).id
    sign_in(client, EMAIL, PASSWORD)
    assert enter_code(client, "/staff", codes[0].replace("-", "").upper()).status_code == 302
    assert unused_recovery_codes(app, f"staff:{staff_id}") == 9
    assert "Recovery codes left: <strong>9</strong>" in client.get("/staff/security").text
    again = client_for(STAFF)
    sign_in(again, EMAIL, PASSWORD)
    assert enter_code(again, "/staff", codes[0]).status_code == 400
    assert enter_code(again, "/staff", f" {codes[1]} ").status_code == 302


def test_turning_it_off_needs_a_current_code(app, client_for, make_staff) -> None:
    client, codes = _enrolled(app, client_for, make_staff)
    staff_id = account(app, StaffUser, EMAIL).id
    sign_in(client, EMAIL, PASSWORD)
    enter_code(client, "/staff", next_code(app, StaffUser, EMAIL))
    token = csrf_from(client.get("/staff/security").text)
    refused = client.post("/staff/security/totp/disable", data={"code": "000000", "csrf_token": token})
    assert refused.status_code == 400 and WRONG in refused.text
    assert account(app, StaffUser, EMAIL).has_second_factor
    code = next_code(app, StaffUser, EMAIL)
    done = client.post("/staff/security/totp/disable", data={"code": code, "csrf_token": token})
    assert done.status_code == 303 and "Second factor: <strong>off</strong>" in client.get(done.location).text
    off = account(app, StaffUser, EMAIL)
    assert off.totp_secret is None and unused_recovery_codes(app, f"staff:{staff_id}") == 0
    fresh = client_for(STAFF)
    assert sign_in(fresh, EMAIL, PASSWORD).headers["Location"] == "/staff/"  # password alone again


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(app, client_for, make_staff) -> None:
    client, old = _enrolled(app, client_for, make_staff)
    sign_in(client, EMAIL, PASSWORD)
    enter_code(client, "/staff", old[0])
    token = csrf_from(client.get("/staff/security").text)
    refused = client.post("/staff/security/recovery-codes", data={"code": "bad", "csrf_token": token})
    assert refused.status_code == 400 and WRONG in refused.text
    renewed = client.post("/staff/security/recovery-codes", data={"code": old[1], "csrf_token": token})
    new = recovery_codes_on(renewed.text)
    assert renewed.status_code == 200 and len(new) == 10 and renewed.headers["Cache-Control"] == "no-store"
    again = client_for(STAFF)
    sign_in(again, EMAIL, PASSWORD)
    assert enter_code(again, "/staff", old[2]).status_code == 400
    assert enter_code(again, "/staff", new[0]).status_code == 302


def test_the_code_step_expires_after_five_minutes(app, client_for, make_staff) -> None:
    client, codes = _enrolled(app, client_for, make_staff)
    sign_in(client, EMAIL, PASSWORD)
    with client.session_transaction(base_url=f"http://{STAFF}") as session:
        session["pending_second_factor_at"] -= 5 * 60 + 1
    assert client.get("/staff/login/code").headers["Location"].startswith("/staff/login")
    assert enter_code(client, "/staff", codes[0]).status_code == 302
    assert not _signed_in(client)
    assert unused_recovery_codes(app, f"staff:{account(app, StaffUser, EMAIL).id}") == 10


def test_a_password_change_or_cancelling_ends_the_code_step(app, client_for, make_staff) -> None:
    client, codes = _enrolled(app, client_for, make_staff)
    sign_in(client, EMAIL, PASSWORD)
    with app.app_context():
        db.session.scalar(select(StaffUser)).set_password("a brand new password")
        db.session.commit()
    enter_code(client, "/staff", codes[0])
    assert not _signed_in(client)
    sign_in(client, EMAIL, "a brand new password")
    token = csrf_from(client.get("/staff/login/code").text)
    cancelled = client.post("/staff/login/code", data={"cancel": "Cancel", "csrf_token": token})
    assert cancelled.headers["Location"] == "/staff/login"
    enter_code(client, "/staff", codes[0])
    assert not _signed_in(client)


def test_guessing_codes_is_rate_limited(app, client_for, make_staff) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_EMAIL"] = "3 per minute"
    client, codes = _enrolled(app, client_for, make_staff)
    sign_in(client, EMAIL, PASSWORD)
    statuses = [enter_code(client, "/staff", "000000").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    other = client_for(STAFF)  # a new sign-in of the same account shares the count
    sign_in(other, EMAIL, PASSWORD)
    assert enter_code(other, "/staff", codes[0]).status_code == 429


def test_guessing_codes_to_turn_it_off_is_rate_limited(app, client_for, make_staff) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_EMAIL"] = "2 per minute"
    client, codes = _enrolled(app, client_for, make_staff)
    sign_in(client, EMAIL, PASSWORD)
    enter_code(client, "/staff", codes[0])
    token = csrf_from(client.get("/staff/security").text)
    statuses = [
        client.post("/staff/security/totp/disable", data={"code": "000000", "csrf_token": token}).status_code
        for _ in range(3)
    ]
    assert statuses == [400, 400, 429]
    assert account(app, StaffUser, EMAIL).has_second_factor


def _staff_get_paths(app) -> list[str]:
    """Every staff page, with 1 for each id in its path."""
    return [
        re.sub(r"<[^>]+>", "1", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("staff.") and "GET" in rule.methods
    ]


@pytest.mark.parametrize("role", list(StaffRole))
def test_when_required_staff_may_only_set_it_up(app, client_for, make_staff, role: StaffRole) -> None:
    app.config["REQUIRE_SECOND_FACTOR"] = True
    make_staff(role=role)
    client = client_for(STAFF)
    assert sign_in(client, EMAIL, PASSWORD).status_code == 302
    open_paths = {"/staff/security", "/staff/login", "/staff/login/code"}
    paths = set(_staff_get_paths(app)) - open_paths
    assert len(paths) >= 8, paths
    for path in paths:
        response = client.get(path)
        assert response.status_code == 303 and response.location == "/staff/security", path
    page = client.get("/staff/security")
    assert page.status_code == 200 and "Set up a second factor to continue" in page.text
    token = csrf_from(page.text)
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302  # sign-out stays open
    sign_in(client, EMAIL, PASSWORD)
    enrol(app, client, StaffUser, EMAIL, "/staff")
    assert client.get("/staff/").status_code == 200  # the desk opens, no longer sent to set up
    assert "you will be asked to set up a new one" in client.get("/staff/security").text


def test_when_required_no_action_or_fragment_gets_past_the_set_up(app, client_for, make_staff) -> None:
    app.config["REQUIRE_SECOND_FACTOR"] = True
    make_staff(role=StaffRole.ADMIN)
    client = client_for(STAFF)
    sign_in(client, EMAIL, PASSWORD)
    token = csrf_from(client.get("/staff/security").text)
    open_endpoints = {"staff.login", "staff.login_code", "staff.logout", "staff.security_totp_start"}
    open_endpoints |= {"staff.security_totp_confirm"}
    swept = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff.") or rule.endpoint in open_endpoints:
            continue
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        if "POST" in rule.methods:  # every action
            response = client.post(path, data={"csrf_token": token})
            assert response.status_code == 303 and response.location == "/staff/security", path
            swept += 1
        if "GET" in rule.methods and rule.endpoint != "staff.security":  # every page as an htmx fragment
            response = client.get(path, headers={"HX-Request": "true"})
            assert response.headers.get("HX-Redirect") == "/staff/security" and not response.data, path
            swept += 1
    assert swept >= 30


def test_without_the_switch_staff_work_without_a_second_factor(client_for, make_staff) -> None:
    make_staff()
    client = client_for(STAFF)
    sign_in(client, EMAIL, PASSWORD)
    assert client.get("/staff/escalations").status_code == 200


def test_the_code_page_without_a_waiting_sign_in_sends_to_sign_in(client_for) -> None:
    client = client_for(STAFF)
    assert client.get("/staff/login/code").headers["Location"].startswith("/staff/login")
    token = csrf_from(client.get("/staff/login").text)
    refused = client.post("/staff/login/code", data={"code": "123456", "csrf_token": token})
    assert refused.status_code == 302 and not _signed_in(client)


def test_the_code_page_sends_someone_signed_in_to_their_work(client_for, make_staff) -> None:
    make_staff()
    client = client_for(STAFF)
    sign_in(client, EMAIL, PASSWORD)
    assert client.get("/staff/login/code").headers["Location"] == "/staff/"


def test_a_code_from_more_than_one_step_away_is_refused(app, client_for, make_staff) -> None:
    client, _ = _enrolled(app, client_for, make_staff)
    secret = account(app, StaffUser, EMAIL).totp_secret
    current = int(time.time()) // STEP_SECONDS
    sign_in(client, EMAIL, PASSWORD)
    for step in (current - 3, current + 3):
        assert enter_code(client, "/staff", pyotp.TOTP(secret).generate_otp(step)).status_code == 400
    assert not _signed_in(client)
