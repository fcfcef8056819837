"""The retention purge: what is past each shop's retention is anonymised once, and nothing else."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from storefront.extensions import db
from storefront.models import (
    AccountToken,
    Attachment,
    AuditEntry,
    ConsentEvent,
    CorrectionRequest,
    Customer,
    DomainRegistration,
    Escalation,
    InboundEmail,
    InboundOutcome,
    Invoice,
    OutboxMessage,
    Reseller,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from storefront.privacy import retention
from storefront.privacy.anonymisation import FORMER_CUSTOMER, REMOVED_SUBJECT, REMOVED_TEXT
from storefront.privacy.retention import months_before, preview, purge
from storefront.support.escalation import escalate
from tests.privacy.retention_helpers import (
    NOW,
    add_customer,
    add_invoice,
    add_private_records,
    add_ticket,
    close_account,
    months_ago,
    shop,
    snapshot,
)
from tests.shop.helpers import sign_in
from tests.steps import customer_id

AISYAH = "aisyah@example.com"
PURGES = 4


def _report(reports, slug: str):
    return next(report for report in reports if report.shop == slug)


def _purge(app, **options):
    with app.app_context():
        return purge(NOW, **options)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 6, 15, 12, tzinfo=UTC), 24, datetime(2024, 6, 15, 12, tzinfo=UTC)),
        (datetime(2026, 3, 31, 8, tzinfo=UTC), 1, datetime(2026, 2, 28, 8, tzinfo=UTC)),
        (datetime(2028, 3, 31, 8, tzinfo=UTC), 1, datetime(2028, 2, 29, 8, tzinfo=UTC)),
        (datetime(2026, 1, 10, tzinfo=UTC), 13, datetime(2024, 12, 10, tzinfo=UTC)),
        (datetime(2026, 12, 1, tzinfo=UTC), 120, datetime(2016, 12, 1, tzinfo=UTC)),
    ],
)
def test_months_before_counts_calendar_months(moment, months, expected) -> None:
    assert months_before(moment, months) == expected


@pytest.fixture
def closed_aisyah(app, demo) -> dict[str, int]:
    """Aisyah at Acme (24 months) closed her account 25 months ago; she had an invoice and two tickets."""
    aisyah = customer_id(app, AISYAH)
    invoice_id = add_invoice(app, aisyah)
    closed_ticket = add_ticket(
        app, "acme", customer_id=aisyah, opened_at=months_ago(30), closed_at=months_ago(29)
    )
    open_ticket = add_ticket(app, "acme", customer_id=aisyah, opened_at=months_ago(26))
    add_private_records(app, aisyah)
    with app.app_context():
        escalate(
            shop("acme"),
            db.session.get(Ticket, open_ticket),
            "customer",
            "asked",
            note="Call me on 012-3456789",
        )
        customer = db.session.get(Customer, aisyah)
        customer.marketing_consent = True
        db.session.add(
            InboundEmail(
                message_id="<out-of-office@example.com>",
                from_address=AISYAH,
                to_address="support@acme-hosting.test",
                subject="Out of office",
                outcome=InboundOutcome.AUTO_REPLY,
                reseller_id=customer.reseller_id,
                raw=b"From: aisyah@example.com\r\n\r\nI am away.\r\n",
            )
        )
        db.session.commit()
    close_account(app, aisyah, months_ago(25))
    return {"customer": aisyah, "invoice": invoice_id, "closed": closed_ticket, "open": open_ticket}


def test_an_account_closed_past_retention_is_anonymised(app, closed_aisyah, client_for) -> None:
    with app.app_context():
        invoice = db.session.get(Invoice, closed_aisyah["invoice"])
        issued = (invoice.number, invoice.total_minor, invoice.issued_at, invoice.seller_name)
        epoch = db.session.get(Customer, closed_aisyah["customer"]).auth_epoch
        lines = [(line.position, line.description, line.amount_minor) for line in invoice.lines]
    report = _report(_purge(app), "acme")
    assert (report.accounts, report.tickets, report.messages, report.attachments) == (1, 2, 6, 2)
    assert (report.invoices, report.registrations, report.tokens, report.corrections) == (1, 1, 1, 1)
    assert report.inbound_emails == 2  # one for each ticket; the auto-reply names no ticket (see below)
    assert report.sent_emails > 0
    with app.app_context():
        customer = db.session.get(Customer, closed_aisyah["customer"])
        assert (customer.name, customer.email) == (FORMER_CUSTOMER, f"anonymised-{customer.number}@invalid")
        assert customer.anonymised_at == NOW and not customer.marketing_consent
        assert customer.email_verified_at is None and not customer.check_password("storefront-demo")
        assert customer.auth_epoch == epoch + 1  # every session of the account has ended
        consent = db.session.scalars(
            select(ConsentEvent).where(ConsentEvent.customer_id == customer.id)
        ).all()
        assert [(event.granted, event.source) for event in consent] == [(False, "retention")]
        invoice = db.session.get(Invoice, closed_aisyah["invoice"])
        assert (invoice.buyer_name, invoice.buyer_email, invoice.anonymised_at) == (FORMER_CUSTOMER, "", NOW)
        assert (invoice.number, invoice.total_minor, invoice.issued_at, invoice.seller_name) == issued
        assert [(line.position, line.description, line.amount_minor) for line in invoice.lines] == lines
        registration = db.session.scalar(select(DomainRegistration))
        assert registration.registrant == {"name": FORMER_CUSTOMER, "email": "", "phone": ""}
        assert registration.domain == "bakery-example.com"
        for ticket_id in (closed_aisyah["closed"], closed_aisyah["open"]):
            ticket = db.session.get(Ticket, ticket_id)
            assert (ticket.subject, ticket.anonymised_at, ticket.status) == (
                REMOVED_SUBJECT,
                NOW,
                TicketStatus.CLOSED,
            )
            assert {message.body for message in ticket.messages} == {REMOVED_TEXT}
        assert db.session.scalar(select(func.count(Attachment.id))) == 0
        assert db.session.scalar(select(func.count(AccountToken.id))) == 0
        assert db.session.scalars(select(Escalation.note)).all() == [REMOVED_TEXT]
        correction = db.session.scalar(select(CorrectionRequest))
        assert (correction.details, correction.answer, correction.record) == (
            REMOVED_TEXT,
            REMOVED_TEXT,
            "other",
        )
        for email in db.session.scalars(select(InboundEmail).where(InboundEmail.ticket_id.is_not(None))):
            assert (email.raw, email.from_address, email.subject) == (b"", "", "")
        assert not db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == AISYAH)).all()
        reduced = select(func.count(OutboxMessage.id)).where(OutboxMessage.text_body == REMOVED_TEXT)
        assert db.session.scalar(reduced) == report.sent_emails
        audit = db.session.execute(
            select(AuditEntry.actor, AuditEntry.actor_role, AuditEntry.record, AuditEntry.action)
        ).all()
        assert ("system", "retention", f"customer:{customer.id}", "anonymise") in audit
        assert ("system", "retention", f"ticket:{closed_aisyah['open']}", "anonymise") in audit
    assert "do not match" in sign_in(client_for("acme.localhost"), AISYAH).text


def test_accounts_closed_within_retention_and_open_accounts_are_kept(app, demo) -> None:
    recent = add_customer(app, "acme", "recent@example.com", closed_at=months_ago(23))
    open_account = add_customer(app, "acme", "open@example.com")
    add_invoice(app, recent)
    add_ticket(app, "acme", customer_id=open_account, opened_at=months_ago(40))
    before = snapshot(app)
    assert not _report(_purge(app), "acme")
    assert snapshot(app) == before


def test_a_closed_ticket_past_retention_is_redacted_and_an_open_old_one_is_not(app, demo) -> None:
    active = customer_id(app, AISYAH)
    old_closed = add_ticket(
        app, "acme", customer_id=active, opened_at=months_ago(30), closed_at=months_ago(25)
    )
    recent_closed = add_ticket(
        app, "acme", customer_id=active, opened_at=months_ago(30), closed_at=months_ago(23)
    )
    old_open = add_ticket(app, "acme", customer_id=active, opened_at=months_ago(60))
    guest = add_ticket(
        app, "acme", guest=("Ben", "ben@example.com"), opened_at=months_ago(30), closed_at=months_ago(25)
    )
    report = _report(_purge(app), "acme")
    assert (report.accounts, report.tickets, report.messages, report.attachments) == (0, 2, 6, 2)
    with app.app_context():
        assert db.session.get(Customer, active).email == AISYAH
        for ticket_id in (old_closed, guest):
            ticket = db.session.get(Ticket, ticket_id)
            assert (ticket.subject, ticket.anonymised_at) == (REMOVED_SUBJECT, NOW)
            assert {message.body for message in ticket.messages} == {REMOVED_TEXT}
        guest_ticket = db.session.get(Ticket, guest)
        assert (guest_ticket.guest_name, guest_ticket.guest_email) == (None, "")
        for ticket_id in (recent_closed, old_open):
            ticket = db.session.get(Ticket, ticket_id)
            assert ticket.anonymised_at is None and ticket.subject == "My invoice shows the wrong name"
            assert REMOVED_TEXT not in {message.body for message in ticket.messages}
        assert db.session.scalar(select(func.count(Attachment.id))) == 2
        assert not db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == "ben@example.com")
        ).all()


def test_each_shop_applies_its_own_retention(app, demo) -> None:
    with app.app_context():
        shop("kedai").retain_closed_accounts_months = 6
        shop("kedai").retain_closed_tickets_months = 3
        db.session.commit()
    acme_customer = add_customer(app, "acme", "nora@example.com", closed_at=months_ago(12))
    kedai_customer = add_customer(app, "kedai", "nora@example.com", closed_at=months_ago(12))
    acme_ticket = add_ticket(
        app, "acme", guest=("Ben", "ben@example.com"), opened_at=months_ago(5), closed_at=months_ago(4)
    )
    kedai_ticket = add_ticket(
        app, "kedai", guest=("Ben", "ben@example.com"), opened_at=months_ago(5), closed_at=months_ago(4)
    )
    reports = _purge(app)
    assert not _report(reports, "acme") and not _report(reports, "bluewave")
    assert (_report(reports, "kedai").accounts, _report(reports, "kedai").tickets) == (1, 1)
    with app.app_context():
        assert db.session.get(Customer, acme_customer).email == "nora@example.com"
        assert db.session.get(Customer, kedai_customer).name == FORMER_CUSTOMER
        assert db.session.get(Ticket, acme_ticket).anonymised_at is None
        assert db.session.get(Ticket, kedai_ticket).anonymised_at == NOW


def test_a_second_run_changes_nothing_and_reports_zeros(app, closed_aisyah) -> None:
    add_ticket(
        app, "kedai", guest=("Ben", "ben@example.com"), opened_at=months_ago(40), closed_at=months_ago(30)
    )
    assert any(_purge(app))
    after_first = snapshot(app)
    again = _purge(app)
    assert not any(again)
    assert all(count == 0 for report in again for count in report.counts().values())
    assert snapshot(app) == after_first


def test_a_dry_run_changes_nothing_and_reports_what_the_purge_does(app, closed_aisyah) -> None:
    add_ticket(
        app, "kedai", guest=("Ben", "ben@example.com"), opened_at=months_ago(40), closed_at=months_ago(30)
    )
    before = snapshot(app)
    dry = _purge(app, dry_run=True)
    assert snapshot(app) == before
    assert dry == _purge(app)
    assert snapshot(app) != before


def test_the_preview_counts_what_the_purge_anonymises(app, closed_aisyah) -> None:
    add_ticket(
        app, "acme", guest=("Ben", "ben@example.com"), opened_at=months_ago(40), closed_at=months_ago(30)
    )
    with app.app_context():
        due = preview(shop("acme"), NOW)
    report = _report(_purge(app), "acme")
    assert (due.accounts, due.tickets) == (report.accounts, report.tickets) == (1, 3)
    with app.app_context():
        assert preview(shop("acme"), NOW) == retention.RetentionPreview(0, 0)


def test_a_large_purge_goes_in_batches(app, demo, monkeypatch) -> None:
    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    ids = [
        add_customer(app, "bluewave", f"former{n}@example.com", closed_at=months_ago(30)) for n in range(5)
    ]
    for former in ids[:3]:
        add_ticket(app, "bluewave", customer_id=former, opened_at=months_ago(40), closed_at=months_ago(35))
    commits = []
    with app.app_context():
        monkeypatch.setattr(db.session, "commit", _counting(db.session.commit, commits))
        report = _report(purge(NOW), "bluewave")
    assert (report.accounts, report.tickets) == (5, 3)
    assert len(commits) == 3  # five accounts, two at a time
    with app.app_context():
        names = db.session.scalars(select(Customer.name).where(Customer.id.in_(ids))).all()
        assert names == [FORMER_CUSTOMER] * 5
        entries = db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "anonymise"))
        assert entries == 8


def _counting(commit, calls: list):
    def counted():
        calls.append(1)
        commit()

    return counted


def test_the_purge_leaves_the_session_unbound_and_other_shops_alone(app, closed_aisyah) -> None:
    with app.app_context():
        purge(NOW)
        assert db.session.info.get("tenant_reseller_id") is None
        others = db.session.scalars(select(Reseller).where(Reseller.slug != "acme")).all()
        for other in others:
            assert (
                db.session.scalar(
                    select(func.count(TicketMessage.id)).where(
                        TicketMessage.reseller_id == other.id, TicketMessage.body == REMOVED_TEXT
                    )
                )
                == 0
            )


@pytest.mark.postgres
def test_an_account_another_purge_holds_is_left_to_it(app, demo) -> None:
    held = add_customer(app, "acme", "held@example.com", closed_at=months_ago(30))
    free = add_customer(app, "acme", "free@example.com", closed_at=months_ago(30))
    with app.app_context():
        engine = db.engine
    with engine.connect() as other_purge:
        other_purge.execute(text("SELECT id FROM customer WHERE id = :id FOR UPDATE"), {"id": held})
        assert _report(_purge(app), "acme").accounts == 1
        other_purge.rollback()
    with app.app_context():
        assert db.session.get(Customer, free).anonymised_at == NOW
        assert db.session.get(Customer, held).anonymised_at is None
    assert _report(_purge(app), "acme").accounts == 1


def test_an_anonymised_ticket_can_no_longer_be_answered(app, closed_aisyah) -> None:
    from storefront.models import TeamMember
    from storefront.support.tickets import TicketError, add_team_reply

    _purge(app)
    with app.app_context():
        sent = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        owner = db.session.scalar(select(TeamMember).where(TeamMember.email == "owner@acme-hosting.test"))
        with pytest.raises(TicketError, match="anonymised"):
            add_team_reply(shop("acme"), db.session.get(Ticket, closed_aisyah["closed"]), owner, "Hello?")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == sent


@pytest.mark.postgres
def test_overlapping_purges_share_the_work_without_deadlock_or_double_entries(app, demo, monkeypatch) -> None:
    monkeypatch.setattr(retention, "BATCH_SIZE", 4)  # many small batches: the purges interleave
    customers = [
        add_customer(app, "acme", f"former{n}@example.com", closed_at=months_ago(30)) for n in range(12)
    ]
    for former in customers:  # each closed account's closed tickets are past retention too
        for opened in (40, 36):
            add_ticket(
                app, "acme", customer_id=former, opened_at=months_ago(opened), closed_at=months_ago(34)
            )
        add_ticket(app, "acme", customer_id=former, opened_at=months_ago(31))  # still open
    guests = [
        add_ticket(
            app,
            "acme",
            guest=("Ben", f"ben{n}@example.com"),
            opened_at=months_ago(40),
            closed_at=months_ago(30),
        )
        for n in range(6)
    ]
    barrier, reports, errors = threading.Barrier(PURGES), [], []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            try:
                reports.append(_report(purge(NOW), "acme"))
            except Exception as error:  # noqa: BLE001 - the assertion below shows it
                errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(PURGES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(report.accounts for report in reports) == len(customers)
    assert sum(report.tickets for report in reports) == len(customers) * 3 + len(guests)
    with app.app_context():
        entries = Counter(
            db.session.scalars(select(AuditEntry.record).where(AuditEntry.action == "anonymise"))
        )
        tickets = db.session.scalars(select(Ticket.id)).all()
        assert set(entries) == {f"customer:{c}" for c in customers} | {f"ticket:{t}" for t in tickets}
        assert set(entries.values()) == {1}
        assert db.session.scalar(select(func.count(Ticket.id)).where(Ticket.anonymised_at.is_(None))) == 0
        assert set(db.session.scalars(select(TicketMessage.body))) == {REMOVED_TEXT}
