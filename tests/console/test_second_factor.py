"""Team second factor: owners and agents may set it up, the key carries the shop's brand, the code
step at sign-in belongs to one host, and the switch requires it of owners."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import AuditEntry, RecoveryCode, StaffUser, TeamMember
from tests.leakguard import find_leaks, response_texts
from tests.second_factor_steps import WRONG, account, enrol, enter_code, next_code
from tests.shop.helpers import csrf_from
from tests.staff.test_login import sign_in as staff_sign_in
from tests.steps import console_rules, team_sign_in

ACME = "acme.localhost"
OWNER = "owner@acme-hosting.test"
AGENT = "agent@acme-hosting.test"


def _enrolled(app, client_for, email: str = OWNER):
    """A team member of Acme with TOTP on, signed out; return a fresh client and the recovery codes."""
    client = client_for(ACME)
    team_sign_in(client, email)
    codes = enrol(app, client, TeamMember, email, "/console")
    return client_for(ACME), codes


def _signed_in(client) -> bool:
    return client.get("/console/security").status_code == 200


def test_the_key_is_named_after_the_shop_and_the_page_names_no_platform(app, demo, client_for) -> None:
    client = client_for(ACME)
    team_sign_in(client)
    page = client.get("/console/security")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    started = client.post("/console/security/totp/start", data={"csrf_token": csrf_from(page.text)})
    secret = account(app, TeamMember, OWNER).totp_secret
    uri = f"otpauth://totp/Acme%20Hosting:owner%40acme-hosting.test?secret={secret}&amp;issuer=Acme%20Hosting"
    assert started.status_code == 200 and uri in started.text and "<svg" in started.text
    assert "style=" not in started.text and "<style" not in started.text
    assert not find_leaks(app.config, *response_texts(started))
    code = next_code(app, TeamMember, OWNER)
    token = csrf_from(started.text)
    confirmed = client.post("/console/security/totp/confirm", data={"code": code, "csrf_token": token})
    assert "Store these recovery codes now" in confirmed.text
    assert not find_leaks(app.config, *response_texts(confirmed))
    assert not find_leaks(app.config, *response_texts(client.get("/console/security")))


def _code_hashes(app, identity: str) -> list[tuple[str, object]]:
    with app.app_context():
        rows = db.session.execute(
            select(RecoveryCode.code_hash, RecoveryCode.used_at)
            .where(RecoveryCode.identity == identity)
            .order_by(RecoveryCode.code_hash)
        )
        return [tuple(row) for row in rows]


def test_wrong_codes_on_the_security_page_change_nothing(app, demo, client_for) -> None:
    client = client_for(ACME)
    team_sign_in(client)
    token = csrf_from(client.get("/console/security").text)
    client.post("/console/security/totp/start", data={"csrf_token": token})
    refused = client.post("/console/security/totp/confirm", data={"code": "000000", "csrf_token": token})
    assert refused.status_code == 400 and WRONG in refused.text and "<svg" in refused.text
    assert account(app, TeamMember, OWNER).has_second_factor is False

    enrol(app, client, TeamMember, OWNER, "/console")
    identity = f"team:{account(app, TeamMember, OWNER).id}"
    codes_before = _code_hashes(app, identity)
    assert len(codes_before) == 10
    for path, code in (("totp/disable", "000000"), ("recovery-codes", "not-a-code"), ("recovery-codes", "")):
        wrong = client.post(f"/console/security/{path}", data={"code": code, "csrf_token": token})
        assert wrong.status_code == 400 and WRONG in wrong.text, path
    assert account(app, TeamMember, OWNER).has_second_factor
    assert _code_hashes(app, identity) == codes_before
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor == identity)))
    assert not {"second_factor_off", "recovery_codes_new"} & actions


def test_an_owner_signs_in_with_password_then_code(app, demo, client_for) -> None:
    client, _ = _enrolled(app, client_for)
    asked = team_sign_in(client, OWNER)
    assert asked.status_code == 302 and asked.headers["Location"] == "/console/login/code"
    assert not _signed_in(client)
    page = client.get("/console/login/code")
    assert "Enter your code" in page.text and not find_leaks(app.config, *response_texts(page))
    refused = enter_code(client, "/console", "000000")
    assert refused.status_code == 400 and WRONG in refused.text and not _signed_in(client)
    done = enter_code(client, "/console", next_code(app, TeamMember, OWNER))
    assert done.status_code == 302 and done.headers["Location"] == "/console/tickets"
    assert _signed_in(client)
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor.like("team:%"))))
        assert {"second_factor_setup", "second_factor_on"} <= actions


def test_the_page_asked_for_is_opened_after_the_code(app, demo, client_for) -> None:
    client, codes = _enrolled(app, client_for)
    token = csrf_from(client.get("/console/login?next=/console/customers").text)
    data = {"email": OWNER, "password": "storefront-demo", "next": "/console/customers", "csrf_token": token}
    asked = client.post("/console/login", data=data)
    assert asked.headers["Location"] == "/console/login/code?next=/console/customers"
    done = enter_code(client, "/console", codes[0], "?next=/console/customers")
    assert done.headers["Location"] == "/console/customers"


def test_an_agent_may_set_it_up_and_then_signs_in_with_a_code(app, demo, client_for) -> None:
    client, codes = _enrolled(app, client_for, AGENT)
    team_sign_in(client, AGENT)
    assert not _signed_in(client)
    assert enter_code(client, "/console", codes[0]).status_code == 302 and _signed_in(client)


def test_a_waiting_staff_sign_in_is_nothing_on_a_shop_and_back(app, demo, client_for, make_staff) -> None:
    make_staff()
    staff = client_for("staff.localhost")
    staff_sign_in(staff, "ops@platform.test", "correct horse battery")
    staff_codes = enrol(app, staff, StaffUser, "ops@platform.test", "/staff")
    staff = client_for("staff.localhost")
    staff_sign_in(staff, "ops@platform.test", "correct horse battery")
    _, team_codes = _enrolled(app, client_for)
    team = client_for(ACME)
    team_sign_in(team, OWNER)
    staff_cookie = staff.get_cookie("session", domain="staff.localhost").value
    team_cookie = team.get_cookie("session", domain=ACME).value

    on_console = client_for(ACME)
    on_console.set_cookie("session", staff_cookie, domain=ACME)
    assert on_console.get("/console/login/code").headers["Location"].startswith("/console/login")
    enter_code(on_console, "/console", staff_codes[0])
    assert not _signed_in(on_console)

    on_staff = client_for("staff.localhost")
    on_staff.set_cookie("session", team_cookie, domain="staff.localhost")
    assert on_staff.get("/staff/login/code").headers["Location"].startswith("/staff/login")
    enter_code(on_staff, "/staff", team_codes[0])
    assert on_staff.get("/staff/security").status_code == 302

    other_shop = client_for("kedai.localhost")
    other_shop.set_cookie("session", team_cookie, domain="kedai.localhost")
    enter_code(other_shop, "/console", team_codes[0])
    assert not _signed_in(other_shop)


def test_the_code_step_expires_after_five_minutes(app, demo, client_for) -> None:
    client, codes = _enrolled(app, client_for)
    team_sign_in(client, OWNER)
    with client.session_transaction(base_url=f"http://{ACME}") as session:
        session["pending_second_factor_at"] -= 5 * 60 + 1
    enter_code(client, "/console", codes[0])
    assert not _signed_in(client)


def test_guessing_codes_is_rate_limited(app, demo, client_for) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_EMAIL"] = "2 per minute"
    client, _ = _enrolled(app, client_for)
    team_sign_in(client, OWNER)
    statuses = [enter_code(client, "/console", "000000").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_when_required_an_owner_may_only_set_it_up(app, demo, client_for, method: str) -> None:
    app.config["REQUIRE_SECOND_FACTOR"] = True
    owner = client_for(ACME)
    team_sign_in(owner, OWNER)
    token = csrf_from(owner.get("/console/login").text)
    open_endpoints = {
        "console.login",
        "console.login_code",
        "console.logout",
        "console.security",
        "console.security_totp_start",
        "console.security_totp_confirm",
    }
    swept = 0
    for rule in console_rules(app):
        if method not in rule.methods or rule.endpoint in open_endpoints:
            continue
        response = owner.open(re.sub(r"<[^>]+>", "1", rule.rule), method=method, data={"csrf_token": token})
        assert response.status_code == 303 and response.location == "/console/security", rule.rule
        swept += 1
    assert swept >= 10
    page = owner.get("/console/security")
    assert "Set up a second factor to continue" in page.text
    enrol(app, owner, TeamMember, OWNER, "/console")
    assert owner.get("/console/orders").status_code == 200


def test_when_required_an_agent_still_works_without_one(app, demo, client_for) -> None:
    app.config["REQUIRE_SECOND_FACTOR"] = True
    agent = client_for(ACME)
    team_sign_in(agent, AGENT)
    assert agent.get("/console/tickets").status_code == 200
    assert "Your account must have a second factor" not in agent.get("/console/security").text
