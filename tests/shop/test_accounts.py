"""Customer accounts per shop: sign-up, verification, sign-in, sessions, reset, profile."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import AccountToken, Customer, Reseller
from tests.shop.helpers import csrf_from, link_in, outbox, post_form, sign_in

ACME = "acme.localhost"


def _sign_up(client, name="Siti Rahmah", email="siti@example.com", password="a good long password", **extra):
    form = {"name": name, "email": email, "password": password, "privacy_notice": "y"}
    return post_form(client, "/signup", {**form, **extra})


def _customers(app, email: str) -> list[Customer]:
    with app.app_context():
        rows = list(db.session.scalars(select(Customer).where(Customer.email == email)))
        db.session.expunge_all()
        return rows


def test_sign_up_asks_only_name_email_and_password(demo, client_for) -> None:
    html = client_for(ACME).get("/signup").text
    inputs = set(re.findall(r'<input[^>]*name="([^"]+)"', html))
    assert inputs == {"csrf_token", "name", "email", "password", "privacy_notice"}


def test_sign_up_then_verify_by_the_emailed_link(app, demo, client_for) -> None:
    client = client_for(ACME)
    response = _sign_up(client, email="Siti@Example.com")
    assert response.status_code == 302 and "/check-email" in response.headers["Location"]
    [customer] = _customers(app, "siti@example.com")
    assert customer.email_verified_at is None and customer.name == "Siti Rahmah"
    [message] = outbox(app, to="siti@example.com")
    link = link_in(message, "/verify/")
    assert urlsplit(link).hostname == "shop.acme-hosting.test"  # the shop's primary domain
    path = urlsplit(link).path
    shown = client.get(path)
    assert shown.status_code == 200 and "Confirm my email address" in shown.text
    assert _customers(app, "siti@example.com")[0].email_verified_at is None  # a GET changes nothing
    confirmed = post_form(client, path, {})
    assert confirmed.status_code == 303 and confirmed.headers["Location"].startswith("/login?next=")
    assert _customers(app, "siti@example.com")[0].email_verified_at is not None
    assert client.get("/account").status_code == 302  # confirming does not sign anyone in
    assert client.get(path).status_code == 400  # single use
    assert sign_in(client, "siti@example.com", "a good long password").status_code == 302
    assert "Hello, Siti Rahmah" in client.get("/account").text


def test_a_verification_link_never_signs_a_visitor_into_someone_elses_account(app, demo, client_for) -> None:
    _sign_up(client_for(ACME), name="Mallory", email="mallory@example.com")
    path = urlsplit(link_in(outbox(app, to="mallory@example.com")[0], "/verify/")).path
    victim = client_for(ACME)
    sign_in(victim, "aisyah@example.com")
    post_form(victim, path, {})
    assert "Hello, Nur Aisyah" in victim.get("/account").text


def test_addresses_are_kept_in_a_form_mail_can_reach(app, demo, client_for) -> None:
    client = client_for(ACME)
    assert _sign_up(client, email="Nadia@Bücher.test").status_code == 302
    [message] = outbox(app, to="nadia@xn--bcher-kva.test")  # the domain in its ASCII form
    assert link_in(message, "/verify/")
    refused = _sign_up(client_for(ACME), email="süpport@example.com")
    assert refused.status_code == 400 and "before the @-sign are not supported" in refused.text
    assert _customers(app, "süpport@example.com") == []


def test_sign_up_is_rate_limited(app, demo, client_for) -> None:
    app.config["RATELIMIT_SIGN_UP_PER_EMAIL"] = "2 per hour"
    client = client_for(ACME)
    statuses = [_sign_up(client, email="aisyah@example.com").status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert len(outbox(app, to="aisyah@example.com")) == 2


def test_email_spellings_share_one_rate_limit(app, demo, client_for) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_EMAIL"] = "2 per minute"
    client = client_for(ACME)
    for spelling in ("aisyah@example.com", "AISYAH@EXAMPLE.COM "):
        assert sign_in(client, spelling, "wrong password").status_code == 400
    assert sign_in(client, "aisyah@\uff45xample.com", "storefront-demo").status_code == 429


def test_only_failed_sign_ins_count_towards_the_limit(app, demo, client_for) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_EMAIL"] = "2 per minute"
    for _ in range(3):
        client = client_for(ACME)
        assert sign_in(client, "aisyah@example.com").status_code == 302


def test_a_password_change_retires_open_reset_links(app, demo, client_for) -> None:
    client = client_for(ACME)
    post_form(client, "/reset", {"email": "aisyah@example.com"})
    path = urlsplit(link_in(outbox(app, kind="reset_password")[0], "/reset/")).path
    sign_in(client, "aisyah@example.com")
    form = {
        "current": "storefront-demo",
        "password": "another long password",
        "confirm": "another long password",
    }
    post_form(client, "/account/password", form, page="/account/profile")
    assert client_for(ACME).get(path).status_code == 400


def test_links_ignore_the_host_and_forwarded_host_the_client_sent(app, demo, client_for) -> None:
    client = client_for(ACME)
    token = csrf_from(client.get("/reset").text)
    client.post(
        "/reset",
        data={"email": "aisyah@example.com", "csrf_token": token},
        headers={"X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"},
    )
    [message] = outbox(app, kind="reset_password")
    assert urlsplit(link_in(message, "/reset/")).hostname == "shop.acme-hosting.test"
    assert "evil" not in message.text_body + (message.html_body or "")


def test_known_and_unknown_emails_get_the_same_sign_up_answer(app, demo, client_for) -> None:
    client = client_for(ACME)
    known = _sign_up(client, email="aisyah@example.com")
    unknown = _sign_up(client, email="someone-new@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(_customers(app, "aisyah@example.com")) == 1
    [notice] = outbox(app, to="aisyah@example.com")
    assert notice.kind == "account_exists" and "/login" in notice.text_body


def test_the_same_email_on_two_shops_is_two_accounts(app, demo, client_for) -> None:
    _sign_up(client_for(ACME), email="both@example.com", password="first shop password")
    _sign_up(client_for("kedai.localhost"), email="both@example.com", password="second shop password")
    accounts = _customers(app, "both@example.com")
    assert len(accounts) == 2 and len({a.reseller_id for a in accounts}) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "   "}, "This field is required."),
        ({"name": "Bad\x07Name"}, "Please enter your name."),
        ({"email": "not-an-email"}, "valid email address"),
        ({"password": "short"}, "Use 10 to 200 characters."),
        ({"email": "a@b"}, "valid email address"),
        ({"name": "x" * 121}, "Field cannot be longer than 120 characters."),
    ],
)
def test_bad_sign_up_input_gets_a_clear_message_and_saves_nothing(
    app, demo, client_for, fields, message
) -> None:
    client = client_for(ACME)
    before = _count(app)
    response = _sign_up(client, **{**{"email": "new@example.com"}, **fields})
    assert response.status_code == 400
    assert message in response.text
    assert _count(app) == before


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Customer))


def test_extra_fields_are_ignored(app, demo, client_for) -> None:
    _sign_up(
        client_for(ACME),
        email="extra@example.com",
        reseller_id="2",
        is_staff="1",
        email_verified_at="2020-01-01",
    )
    [customer] = _customers(app, "extra@example.com")
    assert customer.email_verified_at is None
    with app.app_context():
        assert customer.reseller_id == db.session.scalar(select(Reseller.id).where(Reseller.slug == "acme"))


def test_sign_in_and_wrong_password_message(demo, client_for) -> None:
    client = client_for(ACME)
    wrong = sign_in(client, "aisyah@example.com", "not the password")
    unknown = sign_in(client, "nobody@example.com", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "That email and password do not match an account here." in response.text
    assert sign_in(client, "AISYAH@example.com").headers["Location"] == "/account"


def test_next_only_leads_within_the_shop(demo, client_for) -> None:
    client = client_for(ACME)
    token = csrf_from(client.get("/login").text)
    data = {"email": "aisyah@example.com", "password": "storefront-demo", "csrf_token": token}
    for target, expected in (
        ("/account/invoices", "/account/invoices"),
        ("//evil.example/x", "/account"),
        ("https://evil.example/", "/account"),
        ("/\\evil.example", "/account"),
    ):
        response = client.post(f"/login?next={target}", data=data)
        assert response.headers["Location"] == expected
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/account").text)})
        token = csrf_from(client.get("/login").text)
        data["csrf_token"] = token


def test_a_cookie_from_one_shop_is_not_a_login_on_another(demo, client_for) -> None:
    acme = client_for(ACME)
    sign_in(acme, "aisyah@example.com")
    cookie = acme.get_cookie("session", domain="acme.localhost").value
    kedai = client_for("kedai.localhost")
    kedai.set_cookie("session", cookie, domain="kedai.localhost")
    response = kedai.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sign_out_ends_the_session_for_real(demo, client_for) -> None:
    client = client_for(ACME)
    sign_in(client, "aisyah@example.com")
    old_cookie = client.get_cookie("session", domain="acme.localhost").value
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/account").text)})
    replay = client_for(ACME)
    replay.set_cookie("session", old_cookie, domain="acme.localhost")
    assert replay.get("/account").status_code == 302


def test_password_reset_is_single_use_short_lived_and_hashed(app, demo, client_for) -> None:
    client = client_for(ACME)
    other_device = client_for(ACME)
    sign_in(other_device, "aisyah@example.com")
    post_form(client, "/reset", {"email": "aisyah@example.com"})
    [message] = outbox(app, kind="reset_password")
    path = urlsplit(link_in(message, "/reset/")).path
    token = path.rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalar(select(AccountToken.token_hash))
        assert token not in stored and len(stored) == 64
    form = {"password": "a brand new password", "confirm": "a brand new password"}
    assert post_form(client, path, form).headers["Location"] == "/login"
    assert client.get(path).status_code == 400  # used: the page says the link no longer works
    assert post_form(client, path, form, page="/reset").status_code == 400
    assert sign_in(client, "aisyah@example.com", "a brand new password").status_code == 302
    assert other_device.get("/account").status_code == 302  # the old session ended


def test_a_reset_link_from_one_shop_is_refused_on_another(app, demo, client_for) -> None:
    post_form(client_for(ACME), "/reset", {"email": "aisyah@example.com"})
    path = urlsplit(link_in(outbox(app, kind="reset_password")[0], "/reset/")).path
    form = {"password": "a brand new password", "confirm": "a brand new password"}
    assert post_form(client_for("kedai.localhost"), path, form, page="/reset").status_code == 400


def test_expired_reset_links_are_refused(app, demo, client_for) -> None:
    from datetime import timedelta

    client = client_for(ACME)
    post_form(client, "/reset", {"email": "aisyah@example.com"})
    path = urlsplit(link_in(outbox(app, kind="reset_password")[0], "/reset/")).path
    with app.app_context():
        token = db.session.scalar(select(AccountToken))
        token.expires_at = token.created_at - timedelta(seconds=1)
        db.session.commit()
    form = {"password": "a brand new password", "confirm": "a brand new password"}
    assert post_form(client, path, form, page="/reset").status_code == 400


def test_reset_answers_the_same_for_known_and_unknown_emails(app, demo, client_for) -> None:
    client = client_for(ACME)
    known = post_form(client, "/reset", {"email": "aisyah@example.com"})
    unknown = post_form(client, "/reset", {"email": "nobody@example.com"})
    assert known.headers["Location"] == unknown.headers["Location"]
    assert [m.to_address for m in outbox(app)] == ["aisyah@example.com"]


def test_sign_in_is_rate_limited_per_email(app, demo, client_for) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_EMAIL"] = "3 per minute"
    client = client_for(ACME)
    for _ in range(3):
        assert sign_in(client, "Aisyah@Example.com", "wrong password").status_code == 400
    limited = sign_in(client, "aisyah@example.com ", "wrong password")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "Acme Hosting" in limited.text
    # another account from the same address is not locked by it
    assert sign_in(client, "someone@example.com", "wrong password").status_code == 400


def test_sign_in_is_rate_limited_per_client_address(app, demo, client_for) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_ADDRESS"] = "4 per minute"
    client = client_for(ACME)
    statuses = [sign_in(client, f"user{i}@example.com", "wrong password").status_code for i in range(5)]
    assert statuses == [400, 400, 400, 400, 429]


def test_reset_is_rate_limited(app, demo, client_for) -> None:
    app.config["RATELIMIT_RESET_PER_EMAIL"] = "2 per hour"
    client = client_for(ACME)
    statuses = [post_form(client, "/reset", {"email": "aisyah@example.com"}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]


def test_profile_shows_and_corrects_the_name(app, demo, client_for) -> None:
    client = client_for(ACME)
    sign_in(client, "aisyah@example.com")
    assert 'value="Nur Aisyah"' in client.get("/account/profile").text
    assert post_form(client, "/account/profile", {"name": "Nur Aisyah binti Ahmad"}).status_code == 302
    assert 'value="Nur Aisyah binti Ahmad"' in client.get("/account/profile").text
    assert post_form(client, "/account/profile", {"name": "  "}).status_code == 400


def test_password_change_keeps_this_session_and_ends_others(demo, client_for) -> None:
    here, elsewhere = client_for(ACME), client_for(ACME)
    sign_in(here, "aisyah@example.com")
    sign_in(elsewhere, "aisyah@example.com")
    form = {
        "current": "storefront-demo",
        "password": "another long password",
        "confirm": "another long password",
    }
    wrong = post_form(here, "/account/password", {**form, "current": "nope"}, page="/account/profile")
    assert wrong.status_code == 400 and "That is not your current password." in wrong.text
    assert post_form(here, "/account/password", form, page="/account/profile").status_code == 302
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302


def test_posts_without_csrf_token_are_refused(app, demo, client_for) -> None:
    client = client_for(ACME)
    response = client.post(
        "/signup", data={"name": "X", "email": "x@example.com", "password": "long password!"}
    )
    assert response.status_code == 400
    assert not _customers(app, "x@example.com")


def test_a_second_click_that_loses_the_race_for_a_link_gets_the_expired_page(
    app, demo, client_for, monkeypatch
) -> None:
    client = client_for(ACME)
    _sign_up(client, email="race@example.com")
    path = urlsplit(link_in(outbox(app, to="race@example.com")[0], "/verify/")).path
    token = csrf_from(client.get(path).text)
    assert client.post(path, data={"csrf_token": token}).status_code == 303
    # The second click read the link as live just before the first one used it up.
    monkeypatch.setattr("storefront.shop.auth.find_live_token", lambda *args: object())
    again = client.post(path, data={"csrf_token": token})
    assert again.status_code == 400 and "link" in again.text.lower()
