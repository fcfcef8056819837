"""Email in: every arriving message is stored once, then threaded, opened as a ticket, or kept aside.

Runs outside requests, where no tenant is bound to the session, so every query
names its reseller explicitly.
"""

from __future__ import annotations

import logging
import re
from contextlib import suppress
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError

from ..extensions import db
from ..models import (
    Author,
    Customer,
    InboundEmail,
    InboundOutcome,
    Reseller,
    Ticket,
    TicketMessage,
    bind_tenant,
    current_tenant,
)
from ..services.escalation import escalate
from ..services.tickets import BODY_MAX, SUBJECT_MAX, add_customer_message, open_ticket
from .attachments import AttachmentLimits, store_attachments
from .mailtext import fit, strip_quoted_reply
from .parsing import MalformedEmail, ParsedEmail, message_id_of, parse_email, summary_of

log = logging.getLogger(__name__)

# The database is down or the transaction could not finish: the sender should try again later.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
ADDRESS_MAX, SUBJECT_STORED_MAX, REASON_MAX = 320, 255, 300
NAME_MAX = 120
NO_SUBJECT, NO_TEXT = "(no subject)", "(no message text)"
PLATFORM_NOTE = "Emailed the platform's support address"
_REPLY_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
NOTES_SHOWN = 20


@dataclass(frozen=True)
class Filing:
    """What became of a message, why, and the shop and ticket it concerns."""

    outcome: InboundOutcome
    reason: str
    reseller_id: int | None = None
    ticket_id: int | None = None


def ingest(raw: bytes, *, envelope_to: list[str] | None = None) -> InboundEmail:
    """Store one RFC 822 message and act on it; commits; raises only when the database fails."""
    session = db.session
    bound = current_tenant(session)
    bind_tenant(session, None)  # mail for any shop may arrive; queries below name their reseller
    try:
        return _ingest(bytes(raw), list(envelope_to or []))
    finally:
        bind_tenant(session, bound)


def _stored(message_id: str) -> InboundEmail | None:
    return db.session.scalar(select(InboundEmail).where(InboundEmail.message_id == message_id))


def _rollback() -> None:
    with suppress(SQLAlchemyError):
        db.session.rollback()


def _ingest(raw: bytes, envelope_to: list[str]) -> InboundEmail:
    message_id = message_id_of(raw)
    existing = _stored(message_id)
    if existing is not None:
        return existing
    try:
        record = _file(raw, message_id, envelope_to)
        db.session.commit()
    except DATABASE_UNAVAILABLE:
        _rollback()
        raise
    except IntegrityError:
        _rollback()  # most likely the same message arriving twice at once
        return _stored(message_id) or _keep_aside(raw, message_id, "the database refused to store it")
    except Exception:  # a bug must not lose the message: keep it aside for staff
        _rollback()
        log.exception("inbound message %s could not be filed", message_id)
        return _keep_aside(raw, message_id, "could not be processed (an internal error)")
    return record


def _keep_aside(raw: bytes, message_id: str, reason: str) -> InboundEmail:
    """Store the message as quarantined with ``reason``, and nothing else; commits."""
    record = _record(raw, message_id, Filing(InboundOutcome.QUARANTINED, reason))
    try:
        db.session.commit()
    except IntegrityError:
        _rollback()  # most likely the same message, stored meanwhile by another receiver
        existing = _stored(message_id)
        if existing is None:
            raise
        return existing
    return record


def _record(raw: bytes, message_id: str, filing: Filing, email: ParsedEmail | None = None) -> InboundEmail:
    """Add the InboundEmail row for a message and what became of it."""
    if email is not None:
        sender, recipients, subject = email.sender, ", ".join(email.recipients), email.subject
    else:
        summary = summary_of(raw)
        sender, recipients, subject = summary.sender, summary.recipients, summary.subject
    record = InboundEmail(
        message_id=message_id,
        from_address=sender[:ADDRESS_MAX],
        to_address=recipients[:ADDRESS_MAX],
        subject=subject[:SUBJECT_STORED_MAX],
        outcome=filing.outcome,
        reason=filing.reason[:REASON_MAX],
        reseller_id=filing.reseller_id,
        ticket_id=filing.ticket_id,
        raw=raw,
    )
    db.session.add(record)
    return record


def _file(raw: bytes, message_id: str, envelope_to: list[str]) -> InboundEmail:
    """Decide what the message is and act on it; the caller commits."""
    limit = current_app.config["INBOUND_MAX_BYTES"]
    if len(raw) > limit:
        reason = f"too large: {len(raw):,} bytes (the limit is {limit:,})"
        return _record(raw, message_id, Filing(InboundOutcome.QUARANTINED, reason))
    try:
        email = parse_email(raw, envelope_to, attachment_limits())
    except MalformedEmail as error:
        return _record(raw, message_id, Filing(InboundOutcome.QUARANTINED, f"malformed: {error}"))
    return _record(raw, message_id, _route(email), email)


def attachment_limits() -> AttachmentLimits:
    """Return the configured attachment limits."""
    config = current_app.config
    return AttachmentLimits(config["INBOUND_MAX_ATTACHMENTS"], config["INBOUND_MAX_ATTACHMENT_BYTES"])


def _route(email: ParsedEmail) -> Filing:
    """File a readable message: automatic, a reply, new for a shop, for the platform, or unknown."""
    ticket = _ticket_replied_to(email)
    if email.auto_reply:
        shop = ticket.reseller_id if ticket else _single_shop_id(email)
        reason = f"automatic message ({email.auto_reply}): stored, never answered"
        return Filing(InboundOutcome.AUTO_REPLY, reason, shop, ticket.id if ticket else None)
    if _is_our_address(email.sender):
        return Filing(InboundOutcome.TRIAGE, "sent from one of our own support addresses")
    if ticket is not None:
        return _thread(email, ticket)
    shops = _shops_addressed(email.recipients)
    if len(shops) > 1:
        return Filing(InboundOutcome.TRIAGE, "addressed to several shops: staff choose")
    if shops:
        return _open_for_shop(email, shops[0])
    platform = current_app.config["PLATFORM_SUPPORT_EMAIL"].lower()
    if platform in (address.lower() for address in email.recipients):
        return _open_for_platform(email)
    return Filing(InboundOutcome.TRIAGE, "not addressed to a shop we know")


def reply_token_of(address: str) -> str | None:
    """Return the ticket token of a reply address ``local+<token>@domain``, if it has one."""
    local_part = address.rpartition("@")[0]
    _, plus, token = local_part.rpartition("+")  # the shop's own address may hold a "+" already
    return token if plus and _REPLY_TOKEN.fullmatch(token) else None


def _ticket_replied_to(email: ParsedEmail) -> Ticket | None:
    """Return the ticket whose reply address or whose answer's Message-ID this message names."""
    for address in email.recipients:
        token = reply_token_of(address)
        ticket = db.session.scalar(select(Ticket).where(Ticket.reply_token == token)) if token else None
        if ticket is not None and _is_shop_reply_address(address, token, ticket):
            return ticket
    if not email.references:
        return None
    # Only our own answers count: a customer's Message-ID is chosen by whoever sent it.
    answer = db.session.execute(
        select(TicketMessage.ticket_id, TicketMessage.reseller_id)
        .where(
            TicketMessage.email_message_id.in_(email.references),
            TicketMessage.author != Author.CUSTOMER,
        )
        .order_by(TicketMessage.id.desc())
        .limit(1)
    ).first()
    if answer is None:
        return None
    return db.session.scalar(
        select(Ticket).where(Ticket.id == answer.ticket_id, Ticket.reseller_id == answer.reseller_id)
    )


def _is_shop_reply_address(address: str, token: str, ticket: Ticket) -> bool:
    """True when ``address`` is the ticket's shop support address with ``+token`` added."""
    support = db.session.scalar(select(Reseller.support_email).where(Reseller.id == ticket.reseller_id))
    local, _, domain = (support or "").lower().partition("@")
    return address.lower() == f"{local}+{token.lower()}@{domain}"


def _owner_address(ticket: Ticket) -> str:
    """Return the lower-cased address of the ticket's customer (or guest)."""
    if ticket.customer_id is None:
        return (ticket.guest_email or "").lower()
    email = db.session.scalar(
        select(Customer.email).where(
            Customer.id == ticket.customer_id, Customer.reseller_id == ticket.reseller_id
        )
    )
    return (email or "").lower()


def _thread(email: ParsedEmail, ticket: Ticket) -> Filing:
    """Add the reply to its ticket, only when the ticket's own customer sent it."""
    reseller = db.session.get(Reseller, ticket.reseller_id)
    if not email.sender or email.sender != _owner_address(ticket):
        # Not the ticket's customer: never threaded, but still heard, as a new ticket at that shop.
        return _open_for_shop(email, reseller)
    body = _message_body(strip_quoted_reply(email.body), email.notes)
    message = add_customer_message(reseller, ticket, body, email_message_id=email.message_id)
    store_attachments(message, email.files)
    return Filing(InboundOutcome.THREADED, f"added to ticket {ticket.number}", reseller.id, ticket.id)


def _shops_addressed(recipients: list[str]) -> list[Reseller]:
    """Return the shops whose support address is among the recipients."""
    lowered = {address.lower() for address in recipients}
    if not lowered:
        return []
    query = select(Reseller).where(func.lower(Reseller.support_email).in_(lowered)).order_by(Reseller.id)
    return list(db.session.scalars(query))


def _single_shop_id(email: ParsedEmail) -> int | None:
    shops = _shops_addressed(email.recipients)
    return shops[0].id if len(shops) == 1 else None


def _is_our_address(address: str) -> bool:
    """True for a shop's or the platform's support address: mail from it would loop."""
    if address == current_app.config["PLATFORM_SUPPORT_EMAIL"].lower():
        return True
    query = select(Reseller.id).where(func.lower(Reseller.support_email) == address).limit(1)
    return db.session.scalar(query) is not None


def _open_for_shop(email: ParsedEmail, reseller: Reseller) -> Filing:
    """Open a ticket at the shop: for its customer with the sender's address, else for a guest."""
    customer = db.session.scalar(
        select(Customer).where(Customer.reseller_id == reseller.id, Customer.email == email.sender)
    )
    if customer is None and not email.sender.isascii():
        reason = "a guest address our mail cannot reach (not ASCII)"
        return Filing(InboundOutcome.TRIAGE, reason, reseller.id)
    ticket = open_from_email(email, reseller, customer)
    who = "its customer" if customer else "a guest"
    return Filing(InboundOutcome.OPENED, f"new ticket {ticket.number} from {who}", reseller.id, ticket.id)


def _open_for_platform(email: ParsedEmail) -> Filing:
    """Open and escalate a ticket at the one shop the sender is a customer of, else wait for staff."""
    customers = list(
        db.session.scalars(select(Customer).where(Customer.email == email.sender).order_by(Customer.id))
    )
    if not customers:
        return Filing(InboundOutcome.TRIAGE, "unknown sender")
    if len(customers) > 1:  # one account per shop and address, so several accounts mean several shops
        return Filing(InboundOutcome.TRIAGE, "customer of several shops: staff choose")
    customer = customers[0]
    reseller = db.session.get(Reseller, customer.reseller_id)
    ticket = open_from_email(email, reseller, customer)
    escalate(reseller, ticket, "email", "email", note=PLATFORM_NOTE)
    reason = f"new ticket {ticket.number}, escalated: emailed the platform's support address"
    return Filing(InboundOutcome.OPENED, reason, reseller.id, ticket.id)


def open_from_email(email: ParsedEmail, reseller: Reseller, customer: Customer | None) -> Ticket:
    """Open a ticket at ``reseller`` from a parsed email, with its attachments."""
    ticket = open_ticket(
        reseller,
        email.subject[:SUBJECT_MAX] or NO_SUBJECT,
        _message_body(email.body, email.notes),
        customer=customer,
        guest_email=None if customer else email.sender,
        guest_name=None if customer else (email.sender_name[:NAME_MAX] or None),
        email_message_id=email.message_id,
    )
    store_attachments(ticket.messages[0], email.files)
    return ticket


def _message_body(text: str, notes: list[str]) -> str:
    """Return the message text with a line for each attachment not kept, within the body limit."""
    if len(notes) > NOTES_SHOWN:
        notes = [*notes[:NOTES_SHOWN], f"[{len(notes) - NOTES_SHOWN} more attachments not kept]"]
    tail = "\n\n" + "\n".join(notes) if notes else ""
    return fit(text.strip() or NO_TEXT, BODY_MAX - len(tail)) + tail
