"""Unverified accounts send no mail but their verification; resend, tickets and replies are rate-limited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import CorrectionRequest, Ticket
from tests.shop.helpers import csrf_from, outbox, post_form, sign_in
from tests.steps import make_ticket

ACME = "acme.localhost"
VICTIM = "victim@example.com"
SPAM_NAME = "Prize Department http://evil.example"
PASSWORD = "a good long password"


def _squatter(client_for, email: str = VICTIM):
    """Sign up at Acme with someone else's address and an advertising name, never verify, sign in."""
    client = client_for(ACME)
    form = {"name": SPAM_NAME, "email": email, "password": PASSWORD, "privacy_notice": "y"}
    assert post_form(client, "/signup", form).status_code == 302
    assert sign_in(client, email, PASSWORD).status_code == 302
    return client


def _tickets(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


def _open(client, subject: str = "You won a prize", body: str = "Claim it at http://evil.example"):
    token = csrf_from(client.get("/account").text)
    return client.post("/account/tickets/new", data={"subject": subject, "body": body, "csrf_token": token})


def test_an_unverified_account_is_asked_to_confirm_instead_of_opening_tickets(app, demo, client_for) -> None:
    client = _squatter(client_for)
    page = client.get("/account/tickets/new")
    assert page.status_code == 403
    assert "Please confirm your email address" in page.text
    assert 'action="/account/verify-email"' in page.text  # the resend button
    assert "support@acme-hosting.test" in page.text  # help is still one email away
    assert 'name="subject"' not in page.text
    answers = [_open(client) for _ in range(25)]
    assert {answer.status_code for answer in answers} == {403}
    assert _tickets(app) == 0
    assert [m.kind for m in outbox(app)] == ["verify_email"]


def test_an_unverified_account_sends_nothing_through_a_ticket_it_holds(app, demo, client_for) -> None:
    client = _squatter(client_for)
    ticket_path = _opened_elsewhere(app, client)
    before = len(outbox(app))
    token = csrf_from(client.get(ticket_path).text)
    for action, data in (("reply", {"body": "Visit http://evil.example"}), ("escalate", {"reason": "Now"})):
        answer = client.post(f"{ticket_path}/{action}", data={**data, "csrf_token": token})
        assert answer.status_code == 403 and "Please confirm your email address" in answer.text
    assert len(outbox(app)) == before
    assert "Visit http://evil.example" not in client.get(ticket_path).text


def _opened_elsewhere(app, client) -> str:
    """A ticket filed under the unverified account some other way (say, by mail); its path on the list."""
    make_ticket(app, email=VICTIM, subject="Old question")
    return re.search(r'href="(/account/tickets/[^"/]+)">Old question<', client.get("/account/tickets").text)[
        1
    ]


def test_an_unverified_account_cannot_mail_the_team_a_correction_request(app, demo, client_for) -> None:
    client = _squatter(client_for)
    token = csrf_from(client.get("/account/privacy").text)
    answer = client.post(
        "/account/privacy/corrections",
        data={"record": "other", "details": "Win a prize at http://evil.example now", "csrf_token": token},
    )
    assert answer.status_code in (400, 403) and "Please confirm your email address" in answer.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CorrectionRequest)) == 0
    assert [m.kind for m in outbox(app)] == ["verify_email"]


def test_mail_an_unverified_account_can_cause_carries_no_text_of_its_own(app, demo, client_for) -> None:
    """The verification, a repeated sign-up and a reset reach the address's owner without the chosen name."""
    client = _squatter(client_for)
    post_form(client, "/account/verify-email", {}, page="/account")
    repeat = {"name": SPAM_NAME, "email": VICTIM, "password": PASSWORD, "privacy_notice": "y"}
    post_form(client_for(ACME), "/signup", repeat)
    post_form(client_for(ACME), "/reset", {"email": VICTIM})
    sent = _written(app, to=VICTIM)
    assert sorted(m.kind for m in sent) == [
        "account_exists",
        "reset_password",
        "verify_email",
        "verify_email",
    ]
    for message in sent:
        assert "evil.example" not in message.subject + message.text_body + (message.html_body or "")
        assert "Prize Department" not in message.text_body + (message.html_body or "")


def _written(app, to: str):
    """The queued emails to ``to`` once the delivery step has written the ones it writes."""
    from storefront.identity.password_resets import write_reset_emails

    with app.app_context():
        write_reset_emails()
    return outbox(app, to=to)


def test_verified_customers_still_get_their_name_in_mail(app, demo, client_for) -> None:
    post_form(client_for(ACME), "/reset", {"email": "aisyah@example.com"})
    [message] = _written(app, to="aisyah@example.com")
    assert "Hello Nur Aisyah," in message.text_body


def test_resending_the_verification_link_is_limited_per_account(app, demo, client_for) -> None:
    app.config["RATELIMIT_VERIFY_RESEND_PER_ACCOUNT"] = "2 per hour"
    client = _squatter(client_for)
    token = csrf_from(client.get("/account").text)
    answers = [client.post("/account/verify-email", data={"csrf_token": token}) for _ in range(30)]
    assert [a.status_code for a in answers[:3]] == [302, 302, 429]
    assert int(answers[2].headers["Retry-After"]) > 0
    assert len(outbox(app, kind="verify_email")) == 3  # the sign-up's and two more


def test_resending_is_limited_per_client_address_across_accounts(app, demo, client_for) -> None:
    app.config["RATELIMIT_VERIFY_RESEND_PER_ADDRESS"] = "3 per hour"
    clients = [_squatter(client_for, f"victim{i}@example.com") for i in range(2)]
    statuses = [post_form(c, "/account/verify-email", {}, page="/account").status_code for c in clients * 2]
    assert statuses == [302, 302, 302, 429]


@pytest.fixture
def aisyah(demo, client_for):
    client = client_for(ACME)
    sign_in(client, "aisyah@example.com")
    return client


def test_opening_tickets_is_limited_per_account(app, aisyah) -> None:
    app.config["RATELIMIT_TICKET_PER_ACCOUNT"] = "3 per hour"
    answers = [_open(aisyah, subject=f"Question {i}") for i in range(25)]
    assert [a.status_code for a in answers[:4]] == [303, 303, 303, 429]
    assert int(answers[3].headers["Retry-After"]) > 0
    assert _tickets(app) == 3
    assert len(outbox(app, kind="ticket_received")) == 3


def test_opening_tickets_is_limited_per_client_address(app, demo, client_for) -> None:
    app.config["RATELIMIT_TICKET_PER_ADDRESS"] = "2 per hour"
    acme, kedai = client_for(ACME), client_for("kedai.localhost")
    sign_in(acme, "aisyah@example.com")
    sign_in(kedai, "raj@example.org")
    assert [_open(c).status_code for c in (acme, kedai, acme)] == [303, 303, 429]
    assert _tickets(app) == 2


def _reply(client, path: str, body: str):
    return client.post(f"{path}/reply", data={"body": body, "csrf_token": csrf_from(client.get(path).text)})


def test_replies_are_limited_per_account(app, aisyah) -> None:
    app.config["RATELIMIT_TICKET_REPLY_PER_ACCOUNT"] = "2 per hour"
    path = _open(aisyah).headers["Location"]
    assert [_reply(aisyah, path, f"More {i}").status_code for i in range(3)] == [303, 303, 429]
    page = aisyah.get(path).text
    assert "More 1" in page and "More 2" not in page
    assert len(outbox(app, kind="team_customer_reply")) == 2 * len(outbox(app, kind="team_ticket_new"))


def test_replies_are_limited_per_client_address(app, aisyah, client_for) -> None:
    app.config["RATELIMIT_TICKET_REPLY_PER_ADDRESS"] = "3 per hour"
    path = _open(aisyah).headers["Location"]
    kedai = client_for("kedai.localhost")
    sign_in(kedai, "raj@example.org")
    kedai_path = _open(kedai).headers["Location"]
    answers = [_reply(aisyah, path, "a"), _reply(aisyah, path, "b"), _reply(kedai, kedai_path, "c")]
    assert [a.status_code for a in answers] == [303, 303, 303]
    assert _reply(kedai, kedai_path, "d").status_code == 429
