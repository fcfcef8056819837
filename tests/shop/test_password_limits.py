"""Every form that checks a password shares the account's sign-in limit, counting failures only."""

from __future__ import annotations

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Customer
from tests.shop.helpers import DEMO_PASSWORD, post_form, sign_in

ACME = "acme.localhost"
AISYAH = "aisyah@example.com"


def _signed_in(client_for):
    client = client_for(ACME)
    assert sign_in(client, AISYAH).status_code == 302
    return client


def _change_password(client, current: str, new: str = "another long password"):
    form = {"current": current, "password": new, "confirm": new}
    return post_form(client, "/account/password", form, page="/account/profile")


def _close(client, password: str):
    return post_form(client, "/account/privacy/close", {"password": password}, page="/account/privacy")


def _is_open(app) -> bool:
    with app.app_context():
        return db.session.scalar(select(Customer.closed_at).where(Customer.email == AISYAH)) is None


def test_wrong_current_passwords_run_into_the_sign_in_limit(app, demo, client_for) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_EMAIL"] = "3 per minute"
    client = _signed_in(client_for)
    answers = [_change_password(client, f"guess {i}") for i in range(5)]
    assert [a.status_code for a in answers] == [400, 400, 400, 429, 429]
    assert int(answers[3].headers["Retry-After"]) > 0
    # the right password, once held back, is held back too: nothing tells the guesser it was right
    assert _change_password(client, DEMO_PASSWORD).status_code == 429
    assert sign_in(client_for(ACME), AISYAH).status_code == 429


def test_wrong_passwords_when_closing_run_into_the_sign_in_limit(app, demo, client_for) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_EMAIL"] = "3 per minute"
    client = _signed_in(client_for)
    assert [_close(client, f"guess {i}").status_code for i in range(4)] == [400, 400, 400, 429]
    assert _close(client, DEMO_PASSWORD).status_code == 429
    assert _is_open(app)


def test_sign_in_and_password_forms_share_one_counter(app, demo, client_for) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_EMAIL"] = "4 per minute"
    client = _signed_in(client_for)
    assert sign_in(client_for(ACME), AISYAH, "wrong at the door").status_code == 400
    assert _change_password(client, "wrong on the profile").status_code == 400
    assert _close(client, "wrong on the privacy page").status_code == 400
    assert sign_in(client_for(ACME), "Aisyah@Example.com", "wrong again").status_code == 400
    assert _close(client, "one more").status_code == 429
    assert sign_in(client_for(ACME), AISYAH).status_code == 429


def test_the_address_limit_is_shared_too(app, demo, client_for) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_ADDRESS"] = "3 per minute"
    client = _signed_in(client_for)
    assert sign_in(client_for(ACME), "someone@example.com", "wrong").status_code == 400
    assert sign_in(client_for(ACME), "someone-else@example.com", "wrong").status_code == 400
    assert _change_password(client, "wrong").status_code == 400
    assert _close(client, "wrong").status_code == 429


def test_right_passwords_do_not_count(app, demo, client_for) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_EMAIL"] = "2 per minute"
    client = _signed_in(client_for)
    passwords = [DEMO_PASSWORD, "second long password", "third long password", "fourth long password"]
    for current, new in zip(passwords, passwords[1:], strict=False):
        assert _change_password(client, current, new).status_code == 302
    assert _close(client, passwords[-1]).status_code == 303
    assert not _is_open(app)
