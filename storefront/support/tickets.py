"""Tickets: opening, replies, notes, status, and the reply deadline derived from timestamps.

The deadline is fixed when the customer writes (their first message: the shop's
first-response target; later ones: its follow-up target) and cleared by an answer,
so whether it is missed is a comparison with the clock — no background job.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import selectinload

from ..branding.white_label import WhiteLabelError, check_white_label
from ..extensions import db
from ..mail.attachments import IncomingFile, store_attachments
from ..models import (
    Author,
    Customer,
    Reseller,
    StaffUser,
    TeamMember,
    Ticket,
    TicketMessage,
    TicketStatus,
    TicketTier,
    utcnow,
)
from . import ticket_mail

# Load a ticket's thread and attachments in two queries, not one per message.
THREAD_LOADED = (selectinload(Ticket.messages).selectinload(TicketMessage.attachments),)
OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.ESCALATED)
SUBJECT_MAX, BODY_MAX = 200, 20_000


class TicketError(ValueError):
    """A ticket action that cannot be done; the message says why."""


def _clean_text(value: str, limit: int, what: str) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        raise TicketError(f"Please write a {what}.")
    if len(text) > limit:
        raise TicketError(f"The {what} is too long (at most {limit:,} characters).")
    return text


def shop_side_text(value: str, limit: int, what: str) -> str:
    """Clean text the shop's team or platform staff write; it must not name the platform."""
    text = _clean_text(value, limit, what)
    try:
        check_white_label(text)
    except WhiteLabelError as error:
        raise TicketError(str(error)) from None
    return text


def reply_due(reseller: Reseller, since: datetime, answered_before: bool) -> datetime:
    """Return when an answer is due for a customer message written at ``since``."""
    hours = reseller.follow_up_hours if answered_before else reseller.first_response_hours
    return since + timedelta(hours=hours)


def open_ticket(
    reseller: Reseller,
    subject: str,
    body: str,
    *,
    customer: Customer | None = None,
    guest_email: str | None = None,
    guest_name: str | None = None,
    service_id: int | None = None,
    email_message_id: str | None = None,
    sender_unverified: bool = False,
    files: list[IncomingFile] | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Open a ticket with its first message and files, tell the customer and the team; caller commits.

    ``sender_unverified`` marks a guest ticket from mail nothing proved: it gets no acknowledgement.
    """
    now = now or utcnow()
    ticket = Ticket(
        reseller_id=reseller.id,
        customer_id=customer.id if customer else None,
        guest_email=None if customer else guest_email,
        guest_name=None if customer else guest_name,
        service_id=service_id,
        sender_unverified=sender_unverified and customer is None,
        subject=_clean_text(subject, SUBJECT_MAX, "subject"),
        reply_token=secrets.token_urlsafe(18),
        awaiting_reply_since=now,
        reply_due_at=reply_due(reseller, now, answered_before=False),
        created_at=now,
        updated_at=now,
    )
    ticket.messages = [
        TicketMessage(
            reseller_id=reseller.id,
            author=Author.CUSTOMER,
            created_at=now,
            body=_clean_text(body, BODY_MAX, "message"),
            email_message_id=email_message_id,
        )
    ]
    store_attachments(ticket.messages[0], files or [])
    db.session.add(ticket)
    db.session.flush()
    ticket_mail.ticket_opened(reseller, ticket)
    return ticket


def add_customer_message(
    reseller: Reseller,
    ticket: Ticket,
    body: str,
    *,
    email_message_id: str | None = None,
    files: list[IncomingFile] | None = None,
    now: datetime | None = None,
) -> TicketMessage:
    """Add the customer's message (and its files); the ticket reopens and an answer falls due."""
    now = now or utcnow()
    message = TicketMessage(
        reseller_id=ticket.reseller_id,
        author=Author.CUSTOMER,
        created_at=now,
        body=_clean_text(body, BODY_MAX, "message"),
        email_message_id=email_message_id,
    )
    store_attachments(message, files or [])
    ticket.messages.append(message)
    if ticket.awaiting_reply_since is None:
        ticket.awaiting_reply_since = now
        ticket.reply_due_at = reply_due(reseller, now, answered_before=ticket.first_response_at is not None)
    if ticket.status in (TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CLOSED):
        ticket.status = TicketStatus.ESCALATED if ticket.tier == TicketTier.PLATFORM else TicketStatus.OPEN
        ticket.closed_at = None
    ticket.updated_at = now
    db.session.flush()
    ticket_mail.customer_wrote(reseller, ticket, message)
    return message


def _answered(ticket: Ticket, now: datetime) -> None:
    ticket.awaiting_reply_since = ticket.reply_due_at = None
    ticket.first_response_at = ticket.first_response_at or now
    ticket.updated_at = now


def add_team_reply(
    reseller: Reseller, ticket: Ticket, member: TeamMember, body: str, now: datetime | None = None
) -> TicketMessage:
    """The shop's team answers the customer."""
    if ticket.tier == TicketTier.PLATFORM:
        raise TicketError("This ticket is with the escalations team; you can read it and add notes.")
    return _reply(reseller, ticket, Author.TEAM, body, now, team_member_id=member.id)


def add_staff_reply(
    reseller: Reseller, ticket: Ticket, staff: StaffUser, body: str, now: datetime | None = None
) -> TicketMessage:
    """Platform staff answer the customer, shown under the shop's escalation persona."""
    if ticket.tier != TicketTier.PLATFORM:
        raise TicketError("Only escalated tickets can be answered from here.")
    return _reply(reseller, ticket, Author.STAFF, body, now, staff_id=staff.id)


def _reply(
    reseller: Reseller, ticket: Ticket, author: Author, body: str, now: datetime | None, **by: int
) -> TicketMessage:
    if ticket.anonymised_at is not None:
        raise TicketError(
            "This ticket was anonymised after the retention period; it can no longer be answered."
        )
    now = now or utcnow()
    message = TicketMessage(
        reseller_id=ticket.reseller_id,
        author=author,
        created_at=now,
        body=shop_side_text(body, BODY_MAX, "reply"),
        **by,
    )
    ticket.messages.append(message)
    _answered(ticket, now)
    if ticket.status == TicketStatus.OPEN:
        ticket.status = TicketStatus.WAITING_ON_CUSTOMER
    db.session.flush()
    ticket_mail.answered(reseller, ticket, message)
    return message


def add_note(
    ticket: Ticket,
    body: str,
    *,
    team_member_id: int | None = None,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> TicketMessage:
    """An internal note: seen by the team and staff, never by the customer."""
    author = Author.STAFF if staff_id else Author.TEAM
    message = TicketMessage(
        reseller_id=ticket.reseller_id,
        author=author,
        internal=True,
        body=shop_side_text(body, BODY_MAX, "note"),
        team_member_id=team_member_id,
        staff_id=staff_id,
        created_at=now or utcnow(),
    )
    ticket.messages.append(message)
    ticket.updated_at = message.created_at
    return message


TEAM_STATUSES = (
    TicketStatus.OPEN,
    TicketStatus.WAITING_ON_CUSTOMER,
    TicketStatus.RESOLVED,
    TicketStatus.CLOSED,
)


def set_status(reseller: Reseller, ticket: Ticket, status: TicketStatus, now: datetime | None = None) -> None:
    """Set a ticket's status (escalating has its own path); the customer is told."""
    if status not in TEAM_STATUSES:
        raise TicketError("Choose open, waiting on customer, resolved or closed; escalate to hand it over.")
    now = now or utcnow()
    ticket.status = status
    ticket.closed_at = now if status == TicketStatus.CLOSED else None
    if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.WAITING_ON_CUSTOMER):
        ticket.awaiting_reply_since = ticket.reply_due_at = None
    ticket.updated_at = now
    ticket_mail.status_changed(reseller, ticket)


def close_by_customer(reseller: Reseller, ticket: Ticket) -> None:
    """The customer closes their ticket."""
    if ticket.status == TicketStatus.CLOSED:
        raise TicketError("This ticket is already closed.")
    set_status(reseller, ticket, TicketStatus.CLOSED)


def reopen_by_customer(reseller: Reseller, ticket: Ticket, now: datetime | None = None) -> None:
    """The customer reopens a closed or resolved ticket; an answer falls due again."""
    if ticket.status not in (TicketStatus.CLOSED, TicketStatus.RESOLVED):
        raise TicketError("This ticket is still open.")
    now = now or utcnow()
    ticket.status = TicketStatus.ESCALATED if ticket.tier == TicketTier.PLATFORM else TicketStatus.OPEN
    ticket.closed_at = None
    ticket.awaiting_reply_since = now
    ticket.reply_due_at = reply_due(reseller, now, answered_before=ticket.first_response_at is not None)
    ticket.updated_at = now
