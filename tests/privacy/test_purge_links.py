"""The purge follows links recorded when a copy is made: outbox emails know their ticket or customer,
and received mail no ticket holds is reduced after the platform's period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.mail import queue_email
from storefront.models import Customer, InboundEmail, InboundOutcome, OutboxMessage, Ticket, utcnow
from storefront.privacy.anonymisation import REMOVED_SUBJECT, REMOVED_TEXT
from storefront.privacy.retention import UNATTRIBUTED_MAIL, purge
from storefront.support.escalation import escalate
from tests.privacy.retention_helpers import NOW, add_customer, add_ticket, months_ago, shop

PHONE = "012-3456789"


def _emails(app, ticket_id: int) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id)))
        db.session.expunge_all()
        return rows


def test_every_email_about_a_ticket_is_linked_to_it_and_its_customer(app, demo) -> None:
    former = add_customer(app, "acme", "linked@example.com")
    ticket_id = add_ticket(app, "acme", customer_id=former, opened_at=months_ago(3))
    kinds = {(email.kind, email.customer_id) for email in _emails(app, ticket_id)}
    assert kinds == {
        ("ticket_received", former),
        ("team_ticket_new", former),
        ("ticket_reply", former),
        ("team_customer_reply", former),
    }


def test_an_email_names_whom_it_is_about(app, demo) -> None:
    with app.app_context():
        acme = shop("acme")
        customer = db.session.scalar(select(Customer).where(Customer.reseller_id == acme.id))
        about_customer = queue_email(acme, "a@example.com", "t", "Hi", "x", about=customer)
        team_only = queue_email(acme, "owner@acme-hosting.test", "t", "Hi", "x", about=None)
        assert (about_customer.customer_id, about_customer.ticket_id) == (customer.id, None)
        assert (team_only.customer_id, team_only.ticket_id) == (None, None)
        unsaved = Ticket(
            reseller_id=acme.id, subject="New", reply_token="t" * 20, guest_email="g@example.com"
        )
        with pytest.raises(ValueError, match="flush"):
            queue_email(acme, "a@example.com", "t", "Hi", "x", about=unsaved)
        with pytest.raises(TypeError):
            queue_email(acme, "a@example.com", "t", "Hi", "x")  # nobody may forget to say
        db.session.rollback()


def test_the_teams_emails_about_a_purged_ticket_lose_its_words(app, demo) -> None:
    """The team was told of the ticket, the customer's replies and its escalation, with the customer's
    words; once the ticket is past retention those emails keep only that they were sent."""
    guest = add_ticket(
        app, "acme", guest=("Ben", "ben@example.com"), opened_at=months_ago(40), closed_at=months_ago(30)
    )
    kept = add_ticket(app, "acme", guest=("Ana", "ana@example.com"), opened_at=months_ago(2))
    with app.app_context():
        escalate(shop("acme"), db.session.get(Ticket, kept), "customer", "asked", note=f"Call {PHONE}")
        db.session.commit()
    before = {(e.kind, e.to_address) for e in _emails(app, guest)}
    assert {"team_ticket_new", "team_customer_reply"} <= {kind for kind, _ in before}
    with app.app_context():
        purge(NOW)
    after = _emails(app, guest)
    assert {e.kind for e in after} == {kind for kind, _ in before}
    assert {(e.subject, e.text_body, e.html_body, e.to_address) for e in after} == {
        (REMOVED_SUBJECT, REMOVED_TEXT, None, "")
    }
    untouched = _emails(app, kept)
    assert {e.kind for e in untouched} >= {"team_ticket_new", "team_escalated"}
    assert all(PHONE in e.text_body for e in untouched if e.kind in {"team_ticket_new", "team_escalated"})


def _received(
    app, age: timedelta, outcome: InboundOutcome, *, ticket_id: int | None = None, shop_id=None
) -> int:
    with app.app_context():
        email = InboundEmail(
            message_id=f"<{outcome.value}-{age.days}-{ticket_id}@mail.example.com>",
            from_address="ben@example.com",
            to_address="support@acme-hosting.test",
            subject=f"Call me on {PHONE}",
            outcome=outcome,
            reason="kept aside",
            reseller_id=shop_id,
            ticket_id=ticket_id,
            raw=f"From: ben@example.com\r\n\r\nCall me on {PHONE}\r\n".encode(),
            created_at=NOW - age,
        )
        db.session.add(email)
        db.session.commit()
        return email.id


def _reduced(app, email_id: int) -> bool:
    with app.app_context():
        email = db.session.get(InboundEmail, email_id)
        return (email.raw, email.from_address, email.to_address, email.subject) == (b"", "", "", "")


def test_mail_no_ticket_holds_is_reduced_after_the_platforms_period(app, demo) -> None:
    with app.app_context():
        acme_id = shop("acme").id
    ticket_id = add_ticket(app, "acme", guest=("Ben", "ben@example.com"), opened_at=months_ago(1))
    old = [
        _received(app, timedelta(days=91), InboundOutcome.QUARANTINED),
        _received(app, timedelta(days=91), InboundOutcome.TRIAGE),
        _received(app, timedelta(days=100), InboundOutcome.AUTO_REPLY, shop_id=acme_id),
    ]
    young = _received(app, timedelta(days=89), InboundOutcome.QUARANTINED)
    on_open_ticket = _received(app, timedelta(days=400), InboundOutcome.THREADED, ticket_id=ticket_id)
    with app.app_context():
        reports = purge(NOW)
    assert next(r for r in reports if r.shop == UNATTRIBUTED_MAIL).inbound_emails == 3
    assert all(_reduced(app, email) for email in old)
    assert not _reduced(app, young) and not _reduced(app, on_open_ticket)
    with app.app_context():
        kept = db.session.get(InboundEmail, old[0])
        assert (kept.outcome, kept.reason) == (InboundOutcome.QUARANTINED, "kept aside")
        assert not any(purge(NOW))  # a second run finds nothing more


def test_the_period_is_configurable(app, demo) -> None:
    app.config["INBOUND_UNATTRIBUTED_RETENTION_DAYS"] = 30
    email = _received(app, timedelta(days=31), InboundOutcome.QUARANTINED)
    with app.app_context():
        dry = purge(NOW, dry_run=True)
    assert not _reduced(app, email)
    with app.app_context():
        assert purge(NOW) == dry
    assert _reduced(app, email)


def test_the_purge_command_reports_unattributed_mail_on_its_own_line(app, demo) -> None:
    with app.app_context():
        db.session.add(
            InboundEmail(
                message_id="<old@mail.example.com>",
                from_address="ben@example.com",
                subject="Hello",
                outcome=InboundOutcome.QUARANTINED,
                raw=b"From: ben@example.com\r\n\r\nHello\r\n",
                created_at=utcnow() - timedelta(days=120),
            )
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 0
    assert f"{UNATTRIBUTED_MAIL}: 1 received email reduced" in result.output.splitlines()


def test_an_email_queued_about_an_anonymised_account_is_reduced_by_the_next_run(app, demo) -> None:
    """A request that raced the purge (it read the account just before) may still queue an email."""
    former = add_customer(app, "acme", "raced@example.com", closed_at=months_ago(30), name="Siti Raced")
    with app.app_context():
        purge(NOW)
        customer = db.session.get(Customer, former)
        late = queue_email(
            shop("acme"), "raced@example.com", "account_exists", "Hi", "Hello Siti Raced", about=customer
        )
        db.session.commit()
        late_id = late.id
        report = next(r for r in purge(NOW) if r.shop == "acme")
        assert report.sent_emails == 1
        email = db.session.get(OutboxMessage, late_id)
        assert (email.to_address, email.text_body) == ("", REMOVED_TEXT)
        assert not any(purge(NOW))
