"""Anonymising a closed account or a closed ticket once its shop's retention has passed.

What stays: invoices and credit notes as issued (number, dates, seller, lines, amounts; the
law keeps them seven years) with the buyer's name and email reduced; account credit; orders and services; the
records of what the shop did (notice acceptances, consent history, disclosures,
breach notices, correction requests without their text); the audit log, untouched.
What goes: the person's name, email and password, ticket subjects and messages,
attachments, the raw emails received for the tickets, the text of every email about
the person or their tickets (to them, and to the shop's team) found through the links
the outbox records when each email is queued, correction request text, the registrant
contact kept with a domain registration, and emailed links. Received mail that is linked
to no ticket is reduced after a platform-wide period instead (``retention.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, case, delete, func, or_, select, update

from .. import audit
from ..extensions import db
from ..models import (
    AccountToken,
    Attachment,
    CorrectionRequest,
    CreditNote,
    Customer,
    DomainRegistration,
    Escalation,
    InboundEmail,
    Invoice,
    OutboxMessage,
    OutboxStatus,
    Reseller,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from .privacy_centre import record_consent
from .purge_report import PurgeReport

FORMER_CUSTOMER = "Former customer"
REMOVED_TEXT = "[removed after the retention period]"
REMOVED_SUBJECT = "Removed after the retention period"
# Werkzeug refuses any stored hash without a "$"-separated method, so no password matches this one.
UNUSABLE_PASSWORD_PREFIX = "!anonymised!"
CONTACT_PERSONAL_FIELDS = ("email", "phone", "fax", "address")
CHUNK = 500
RECEIVED_REDUCED = {"raw": b"", "from_address": "", "to_address": "", "subject": ""}
BULK = {"synchronize_session": False}


def anonymise_accounts(
    shop: Reseller, customers: Sequence[Customer], now: datetime, report: PurgeReport, reason: str
) -> None:
    """Anonymise closed accounts of ``shop``, with all their tickets; the caller commits."""
    ids = [c.id for c in customers]
    # The caller holds these accounts; their tickets are claimed next, always in this order
    # (account, ticket, then the ticket's rows), waiting for any another purge holds: that
    # purge anonymises them, and the re-check on the locked rows leaves them out here.
    tickets = db.session.scalars(
        select(Ticket)
        .where(Ticket.customer_id.in_(ids), Ticket.anonymised_at.is_(None))
        .order_by(Ticket.id)
        .with_for_update(key_share=True)
    ).all()
    for start in range(0, len(tickets), CHUNK):
        anonymise_tickets(shop, tickets[start : start + CHUNK], now, report, "the account was anonymised")
    report.sent_emails += _reduce_sent_emails(shop, OutboxMessage.customer_id.in_(ids))
    report.invoices += _reduce_invoices(ids, now)
    report.credit_notes += _reduce_credit_notes(ids, now)
    report.registrations += _reduce_registrations(ids)
    report.corrections += _redact_corrections(ids)
    report.tokens += _rowcount(delete(AccountToken).where(AccountToken.customer_id.in_(ids)))
    for customer in customers:
        _anonymise_customer(shop, customer, now)
        audit.record(
            "system", "retention", shop.id, f"customer:{customer.id}", "anonymise", reason, customer.id
        )
    report.accounts += len(customers)


def anonymise_tickets(
    shop: Reseller, tickets: Sequence[Ticket], now: datetime, report: PurgeReport, reason: str
) -> None:
    """Remove the personal data of ``tickets`` (messages, attachments, emails); the caller commits."""
    ids = [t.id for t in tickets]
    messages = select(TicketMessage.id).where(TicketMessage.ticket_id.in_(ids))
    report.attachments += _rowcount(delete(Attachment).where(Attachment.message_id.in_(messages)))
    report.messages += _rowcount(
        update(TicketMessage).where(TicketMessage.ticket_id.in_(ids)).values(body=REMOVED_TEXT)
    )
    _rowcount(
        update(Escalation)
        .where(Escalation.ticket_id.in_(ids), Escalation.note != "")
        .values(note=REMOVED_TEXT)
    )
    report.inbound_emails += _reduce_received_emails(InboundEmail.ticket_id.in_(ids))
    report.sent_emails += _reduce_sent_emails(shop, OutboxMessage.ticket_id.in_(ids))
    for ticket in tickets:
        _anonymise_ticket(ticket, now)
        audit.record(
            "system", "retention", shop.id, f"ticket:{ticket.id}", "anonymise", reason, ticket.customer_id
        )
    report.tickets += len(tickets)


def reduce_late_emails(shop: Reseller) -> int:
    """Reduce emails queued about an account or ticket after it was anonymised (a request that raced
    the purge); rows another purge holds are left to it. The caller commits."""
    about_anonymised = or_(
        OutboxMessage.customer_id.in_(select(Customer.id).where(Customer.anonymised_at.is_not(None))),
        OutboxMessage.ticket_id.in_(select(Ticket.id).where(Ticket.anonymised_at.is_not(None))),
    )
    late = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.reseller_id == shop.id, OutboxMessage.subject != REMOVED_SUBJECT, about_anonymised
        )
        .order_by(OutboxMessage.id)
        .with_for_update(skip_locked=True)
    ).all()
    return _reduce_sent_emails(shop, OutboxMessage.id.in_(late)) if late else 0


def _rowcount(statement) -> int:
    return db.session.execute(statement, execution_options=BULK).rowcount


def _anonymise_customer(shop: Reseller, customer: Customer, now: datetime) -> None:
    if customer.marketing_consent:
        record_consent(shop, customer, False, "retention")
    customer.name = FORMER_CUSTOMER
    customer.email = f"anonymised-{customer.number}@invalid"  # the console lists it: the shop's number
    customer.password_hash = UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(32)
    customer.end_sessions()
    customer.email_verified_at = None
    customer.anonymised_at = now


def _anonymise_ticket(ticket: Ticket, now: datetime) -> None:
    ticket.subject = REMOVED_SUBJECT
    ticket.guest_name = None
    # A guest ticket must keep a requester address (a constraint); an empty one is never written to.
    ticket.guest_email = "" if ticket.customer_id is None else None
    if ticket.status != TicketStatus.CLOSED:  # only an anonymised account's ticket can still be open
        ticket.status, ticket.closed_at = TicketStatus.CLOSED, now
    ticket.awaiting_reply_since = ticket.reply_due_at = None
    ticket.anonymised_at = ticket.updated_at = now


def _reduce_received_emails(*where: ColumnElement[bool]) -> int:
    """Keep the record that a message came (Message-ID, outcome, time); drop what it said and who sent it."""
    return _rowcount(update(InboundEmail).where(*where).values(**RECEIVED_REDUCED))


def received_not_reduced() -> ColumnElement[bool]:
    """Received emails that still hold what they said or who sent them."""
    return or_(
        InboundEmail.from_address != "",
        InboundEmail.to_address != "",
        InboundEmail.subject != "",
        func.length(InboundEmail.raw) > 0,
    )


def reduce_received_emails(ids: Sequence[int]) -> int:
    """Reduce the received emails ``ids`` (claimed by the caller); the caller commits."""
    return _reduce_received_emails(InboundEmail.id.in_(ids))


def _reduce_sent_emails(shop: Reseller, addressed: ColumnElement[bool]) -> int:
    """Keep the record that an email went out (kind, time); drop its recipient and text; never send it."""
    return _rowcount(
        update(OutboxMessage)
        .where(OutboxMessage.reseller_id == shop.id, OutboxMessage.subject != REMOVED_SUBJECT, addressed)
        .values(
            to_address="",
            subject=REMOVED_SUBJECT,
            text_body=REMOVED_TEXT,
            html_body=None,
            status=case(
                (OutboxMessage.status == OutboxStatus.QUEUED, OutboxStatus.FAILED.value),
                else_=OutboxMessage.status,
            ),
        )
    )


def _reduce_credit_notes(customer_ids: list[int], now: datetime) -> int:
    """Reduce the buyer on each credit note, as on the invoices they correct."""
    notes = db.session.scalars(
        select(CreditNote).where(CreditNote.customer_id.in_(customer_ids), CreditNote.anonymised_at.is_(None))
    ).all()
    for note in notes:
        note.buyer_name, note.buyer_email, note.anonymised_at = FORMER_CUSTOMER, "", now
    return len(notes)


def _reduce_invoices(customer_ids: list[int], now: datetime) -> int:
    """Reduce the buyer on each issued invoice; everything else stays as issued."""
    invoices = db.session.scalars(
        select(Invoice).where(Invoice.customer_id.in_(customer_ids), Invoice.anonymised_at.is_(None))
    ).all()
    for invoice in invoices:
        invoice.buyer_name, invoice.buyer_email, invoice.anonymised_at = FORMER_CUSTOMER, "", now
    return len(invoices)


def reduced_contact(contact: dict) -> dict:
    """Return a registrant contact with the person's name, email, phone and address reduced."""
    reduced = {key: "" if key in CONTACT_PERSONAL_FIELDS else value for key, value in contact.items()}
    return {**reduced, "name": FORMER_CUSTOMER}


def _reduce_registrations(customer_ids: list[int]) -> int:
    registrations = db.session.scalars(
        select(DomainRegistration).where(DomainRegistration.customer_id.in_(customer_ids))
    ).all()
    changed = 0
    for registration in registrations:
        reduced = reduced_contact(registration.registrant or {})
        if reduced != registration.registrant:
            registration.registrant, changed = reduced, changed + 1
    return changed


def _redact_corrections(customer_ids: list[int]) -> int:
    """Keep each correction request's record, status and dates; its text goes."""
    return _rowcount(
        update(CorrectionRequest)
        .where(CorrectionRequest.customer_id.in_(customer_ids))
        .values(
            details=REMOVED_TEXT,
            answer=case((CorrectionRequest.answer == "", ""), else_=REMOVED_TEXT),
        )
    )
