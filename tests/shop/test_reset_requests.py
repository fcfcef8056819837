"""/reset does the same work for every address; the delivery step writes the email for real accounts."""

from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from storefront.extensions import db
from storefront.identity.password_resets import write_reset_emails
from storefront.models import AccountToken, Customer, OutboxMessage, PasswordResetRequest, utcnow
from tests.shop.helpers import csrf_from, link_in, outbox, post_form

ACME = "acme.localhost"
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def _statements(client, count_queries, email: str) -> list[str]:
    """The SQL of one POST /reset for ``email`` (the form page is fetched before counting)."""
    token = csrf_from(client.get("/reset").text)
    with count_queries() as statements:
        answer = client.post("/reset", data={"email": email, "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/check-email?reason=reset"
    return statements


def test_known_and_unknown_emails_make_the_same_queries_and_writes(
    app, demo, client_for, count_queries
) -> None:
    client = client_for(ACME)
    known = _statements(client, count_queries, "aisyah@example.com")
    unknown = _statements(client, count_queries, "nobody@example.com")
    _close_account(app, "aisyah@example.com")
    closed = _statements(client, count_queries, "aisyah@example.com")
    writes = [s for s in known if WRITES.match(s)]
    assert writes and all("password_reset_request" in s for s in writes)
    assert [s for s in unknown if WRITES.match(s)] == writes == [s for s in closed if WRITES.match(s)]
    assert known == unknown == closed  # every statement, reads included, in the same order


def test_the_request_writes_no_token_and_no_email(app, demo, client_for) -> None:
    post_form(client_for(ACME), "/reset", {"email": "aisyah@example.com"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccountToken)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert db.session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 1


def test_the_delivery_step_mails_real_accounts_only_and_forgets_the_requests(app, demo, client_for) -> None:
    _close_account(app, "aisyah@example.com")
    for email in ("aisyah@example.com", "nobody@example.com", "raj@example.org"):
        post_form(client_for(ACME), "/reset", {"email": email})
    post_form(client_for("kedai.localhost"), "/reset", {"email": "raj@example.org"})
    with app.app_context():
        assert write_reset_emails() == 4
    [message] = outbox(app)
    assert (message.kind, message.to_address) == ("reset_password", "raj@example.org")
    assert urlsplit(link_in(message, "/reset/")).hostname == "kedaihosting.test"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 0
        assert write_reset_emails() == 0
    assert len(outbox(app)) == 1


def _close_account(app, email: str) -> None:
    with app.app_context():
        db.session.execute(update(Customer).where(Customer.email == email).values(closed_at=utcnow()))
        db.session.commit()


def test_mail_send_writes_waiting_reset_emails_before_delivering(app, demo, client_for) -> None:
    post_form(client_for(ACME), "/reset", {"email": "aisyah@example.com"})
    app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=1, MAIL_SMTP_TIMEOUT=1)
    app.test_cli_runner().invoke(args=["mail", "send"])
    [message] = outbox(app)
    assert message.kind == "reset_password" and message.to_address == "aisyah@example.com"


def test_a_reset_link_written_by_the_delivery_step_works(app, demo, client_for) -> None:
    client = client_for(ACME)
    post_form(client, "/reset", {"email": "Aisyah@Example.com"})
    with app.app_context():
        write_reset_emails()
    path = urlsplit(link_in(outbox(app, kind="reset_password")[0], "/reset/")).path
    form = {"password": "a brand new password", "confirm": "a brand new password"}
    assert post_form(client, path, form).headers["Location"] == "/login"


@pytest.mark.postgres
def test_overlapping_delivery_steps_write_each_reset_email_once(app, demo, client_for) -> None:
    for _ in range(3):
        post_form(client_for(ACME), "/reset", {"email": "aisyah@example.com"})
    barrier, written = threading.Barrier(4), []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            written.append(write_reset_emails())

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(written) == 3
    assert len(outbox(app, kind="reset_password")) == 3
