"""Staff sign-in on the staff host."""

from __future__ import annotations

import re

import pytest

from storefront.identity.accounts import load_identity
from storefront.models import StaffRole

STAFF = "staff.localhost"


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(client, email: str, password: str):
    token = csrf_token(client.get("/staff/login").text)
    return client.post("/staff/login", data={"email": email, "password": password, "csrf_token": token})


def test_staff_sign_in_leads_to_the_desk_and_its_escalation_queue(demo, client_for, make_staff) -> None:
    make_staff(email="ops@platform.test", role=StaffRole.ADMIN)
    client = client_for(STAFF)
    response = sign_in(client, "OPS@platform.test ", "correct horse battery")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    desk = client.get("/staff/")
    assert desk.status_code == 200 and "Escalation queue" in desk.text
    assert 'href="/staff/escalations">Open the escalation screen</a>' in desk.text
    overview = client.get("/staff/shops").text
    for shop in ("Acme Hosting", "BlueWave Web", "Kedai Hosting", "shop.acme-hosting.test", "bazaar"):
        assert shop in overview


@pytest.mark.parametrize(
    ("email", "password"),
    [("ops@platform.test", "wrong password"), ("nobody@platform.test", "correct horse battery")],
)
def test_wrong_credentials_get_one_clear_message(client_for, make_staff, email: str, password: str) -> None:
    make_staff()
    response = sign_in(client_for(STAFF), email, password)
    assert response.status_code == 200
    assert "That email and password do not match an active staff account." in response.text


def test_inactive_staff_cannot_sign_in(client_for, make_staff) -> None:
    make_staff(active=False)
    response = sign_in(client_for(STAFF), "ops@platform.test", "correct horse battery")
    assert "do not match an active staff account" in response.text


def test_empty_fields_are_refused_with_a_message(client_for) -> None:
    client = client_for(STAFF)
    token = csrf_token(client.get("/staff/login").text)
    response = client.post("/staff/login", data={"email": "", "password": "", "csrf_token": token})
    assert response.status_code == 400
    assert "This field is required." in response.text


def test_sign_in_without_csrf_token_is_refused(client_for, make_staff) -> None:
    make_staff()
    client = client_for(STAFF)
    response = client.post(
        "/staff/login", data={"email": "ops@platform.test", "password": "correct horse battery"}
    )
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_signed_out_staff_are_sent_to_sign_in(client_for) -> None:
    assert client_for(STAFF).get("/staff/").headers["Location"].startswith("/staff/login")


def test_sign_out(client_for, make_staff) -> None:
    make_staff()
    client = client_for(STAFF)
    sign_in(client, "ops@platform.test", "correct horse battery")
    token = csrf_token(client.get("/staff/login").text)
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/").status_code == 302


def test_a_staff_identity_is_only_loaded_on_the_staff_host(app, demo, make_staff) -> None:
    staff_id = make_staff()
    for host, expected in (("staff.localhost", staff_id), ("acme.localhost", None)):
        with app.test_request_context("/", headers={"Host": host}):
            app.preprocess_request()
            identity = load_identity(f"staff:{staff_id}:1")
            assert (identity.id if identity else None) == expected


@pytest.mark.parametrize(
    "user_id", ["staff:", "staff:abc", "root:1:1", "", "staff:1", "staff:1:0", "staff:1:1:1"]
)
def test_malformed_identities_load_nothing(app, demo, user_id: str) -> None:
    with app.test_request_context("/", headers={"Host": "staff.localhost"}):
        app.preprocess_request()
        assert load_identity(user_id) is None


def test_staff_sign_out_ends_the_session_for_real(client_for, make_staff) -> None:
    make_staff()
    client = client_for(STAFF)
    sign_in(client, "ops@platform.test", "correct horse battery")
    old_cookie = client.get_cookie("session", domain="staff.localhost").value
    client.post("/staff/logout", data={"csrf_token": csrf_token(client.get("/staff/login").text)})
    replay = client_for(STAFF)
    replay.set_cookie("session", old_cookie, domain="staff.localhost")
    assert replay.get("/staff/").status_code == 302


def test_signing_in_starts_a_new_session(client_for, make_staff) -> None:
    """A token from the session before sign-in (one someone could have planted) works no more after it."""
    make_staff()
    client = client_for(STAFF)
    before = csrf_token(client.get("/staff/login").text)
    assert sign_in(client, "ops@platform.test", "correct horse battery").status_code == 302
    assert client.post("/staff/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/staff/").status_code == 200  # still signed in: the desk opens


def test_staff_sign_in_is_rate_limited(app, client_for, make_staff) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_EMAIL"] = "3 per minute"
    make_staff()
    client = client_for(STAFF)
    statuses = [sign_in(client, "ops@platform.test", "wrong").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_session_cookies_are_secure_by_default() -> None:
    from storefront.config import DefaultConfig

    assert DefaultConfig.SESSION_COOKIE_SECURE is True
    assert DefaultConfig.SANDBOX_GATEWAY_ENABLED is False
