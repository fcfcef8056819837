"""Escalation: moving a ticket to the platform's staff, the cross-shop queue, and handing back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, or_

from ..extensions import db
from ..models import Escalation, Reseller, Ticket, TicketStatus, TicketTier, utcnow
from . import ticket_mail
from .tickets import OPEN_STATUSES, TicketError, add_note, reply_due, shop_side_text

NOTE_MAX = 2000
REASONS = {
    "asked": "Customer asked",
    "deadline_missed": "Reply deadline missed",
    "handed_over": "Handed over by the shop",
    "email": "Emailed the platform",
}


def escalate(
    reseller: Reseller, ticket: Ticket, by: str, reason: str, note: str = "", now: datetime | None = None
) -> Escalation:
    """Move an open ticket to the platform, recording who, why and when; the shop's team is told."""
    if ticket.status not in OPEN_STATUSES:
        raise TicketError("Only open tickets can be escalated.")
    if ticket.tier == TicketTier.PLATFORM:
        raise TicketError("This ticket is already with the escalations team.")
    if reason not in REASONS:
        raise TicketError("Please choose why.")
    now = now or utcnow()
    ticket.tier, ticket.status, ticket.escalated_at, ticket.updated_at = (
        TicketTier.PLATFORM,
        TicketStatus.ESCALATED,
        now,
        now,
    )
    if ticket.awaiting_reply_since is None and by.startswith("customer:"):
        # The customer asks for help again by escalating: an answer falls due.
        ticket.awaiting_reply_since = now
        ticket.reply_due_at = reply_due(reseller, now, answered_before=ticket.first_response_at is not None)
    record = Escalation(
        reseller_id=ticket.reseller_id,
        ticket_id=ticket.id,
        by=by,
        reason=reason,
        note=(note or "").strip()[:NOTE_MAX],
        created_at=now,
    )
    db.session.add(record)
    ticket_mail.escalated(reseller, ticket, REASONS[reason], record.note)
    return record


def hand_back(
    reseller: Reseller, ticket: Ticket, staff_id: int, note: str, now: datetime | None = None
) -> Escalation:
    """Return an escalated ticket to the shop's team with a note; a waiting customer gets a fresh deadline."""
    if ticket.tier != TicketTier.PLATFORM:
        raise TicketError("This ticket is with the shop already.")
    note = (note or "").strip()
    if not note or len(note) > NOTE_MAX:
        raise TicketError(f"Write a note for the shop's team (at most {NOTE_MAX:,} characters).")
    note = shop_side_text(note, NOTE_MAX, "note")
    now = now or utcnow()
    ticket.tier, ticket.status, ticket.assignee_staff_id, ticket.updated_at = (
        TicketTier.RESELLER,
        TicketStatus.OPEN,
        None,
        now,
    )
    if ticket.awaiting_reply_since is not None:
        ticket.reply_due_at = reply_due(reseller, now, answered_before=ticket.first_response_at is not None)
    add_note(ticket, f"Handed back to the shop: {note}", staff_id=staff_id, now=now)
    record = Escalation(
        reseller_id=ticket.reseller_id,
        ticket_id=ticket.id,
        by=f"staff:{staff_id}",
        reason="handed_back",
        note=note,
        created_at=now,
    )
    db.session.add(record)
    return record


def on_escalation_screen(now: datetime):
    """The condition for the queue: escalated, or a reply deadline missed and still open."""
    open_ticket = Ticket.status.in_(OPEN_STATUSES)
    return and_(open_ticket, or_(Ticket.tier == TicketTier.PLATFORM, Ticket.reply_due_at < now))


@dataclass(frozen=True)
class QueueFilters:
    """What the escalation screen is narrowed to."""

    reseller_id: int | None = None
    reason: str | None = None  # "missed" or "escalated"
    assignee_id: int | None = None  # 0 means unassigned
    status: str | None = None


def queue_condition(now: datetime, filters: QueueFilters) -> ColumnElement[bool]:
    """Return the queue's WHERE clause: on the screen now, narrowed by the filters."""
    conditions = [on_escalation_screen(now)]
    if filters.reseller_id:
        conditions.append(Ticket.reseller_id == filters.reseller_id)
    if filters.reason == "missed":
        conditions.append(Ticket.reply_due_at < now)
    elif filters.reason == "escalated":
        conditions.append(Ticket.tier == TicketTier.PLATFORM)
    if filters.assignee_id is not None:
        conditions.append(
            Ticket.assignee_staff_id == filters.assignee_id
            if filters.assignee_id
            else Ticket.assignee_staff_id.is_(None)
        )
    if filters.status:
        conditions.append(Ticket.status == filters.status)
    return and_(*conditions)


def queue_order(now: datetime) -> tuple[ColumnElement, ...]:
    """Most urgent first on every database: missed longest, then waiting, then priority, then oldest."""
    return (
        case((Ticket.reply_due_at < now, 0), else_=1),
        Ticket.reply_due_at.asc().nulls_last(),
        Ticket.priority.desc(),
        Ticket.escalated_at.asc().nulls_last(),
        Ticket.id,
    )


def claim(ticket: Ticket, staff_id: int | None) -> None:
    """Assign an escalated ticket to a staff member (or nobody)."""
    ticket.assignee_staff_id = staff_id
    ticket.updated_at = utcnow()


def escalate_missed_deadline(reseller: Reseller, ticket: Ticket, now: datetime | None = None) -> Escalation:
    """Record the escalation of a ticket that reached the screen by its missed deadline."""
    return escalate(reseller, ticket, "deadline", "deadline_missed", now=now)
