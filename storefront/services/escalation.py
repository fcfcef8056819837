"""Escalation: moving a ticket to the platform's staff, the cross-shop queue, and handing back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, or_, select

from ..extensions import db
from ..models import Escalation, Reseller, Ticket, TicketStatus, TicketTier, utcnow
from . import ticket_mail
from .tickets import OPEN_STATUSES, TicketError, reply_due

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
        note=(note or "").strip()[:2000],
        created_at=now,
    )
    db.session.add(record)
    ticket_mail.escalated(reseller, ticket, REASONS[reason], record.note)
    return record


def hand_back(ticket: Ticket, staff_id: int, note: str, now: datetime | None = None) -> Escalation:
    """Return an escalated ticket to the shop's team."""
    if ticket.tier != TicketTier.PLATFORM:
        raise TicketError("This ticket is with the shop already.")
    now = now or utcnow()
    ticket.tier, ticket.status, ticket.assignee_staff_id, ticket.updated_at = (
        TicketTier.RESELLER,
        TicketStatus.OPEN,
        None,
        now,
    )
    record = Escalation(
        reseller_id=ticket.reseller_id,
        ticket_id=ticket.id,
        by=f"staff:{staff_id}",
        reason="handed_back",
        note=(note or "").strip()[:2000],
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


def queue_query(now: datetime, filters: QueueFilters):
    """Return the queue's select, most urgent first: missed longest, then priority, then oldest."""
    query = select(Ticket, Reseller.brand_name).join(Reseller, Reseller.id == Ticket.reseller_id)
    query = query.where(on_escalation_screen(now))
    if filters.reseller_id:
        query = query.where(Ticket.reseller_id == filters.reseller_id)
    if filters.reason == "missed":
        query = query.where(Ticket.reply_due_at < now)
    elif filters.reason == "escalated":
        query = query.where(Ticket.tier == TicketTier.PLATFORM)
    if filters.assignee_id is not None:
        query = (
            query.where(Ticket.assignee_staff_id == (filters.assignee_id or None))
            if filters.assignee_id
            else query.where(Ticket.assignee_staff_id.is_(None))
        )
    if filters.status:
        query = query.where(Ticket.status == filters.status)
    missed_first = case((Ticket.reply_due_at < now, 0), else_=1)
    return query.order_by(
        missed_first, Ticket.reply_due_at, Ticket.priority.desc(), Ticket.escalated_at, Ticket.id
    )


def claim(ticket: Ticket, staff_id: int | None) -> None:
    """Assign an escalated ticket to a staff member (or nobody)."""
    ticket.assignee_staff_id = staff_id
    ticket.updated_at = utcnow()


def escalate_missed_deadline(reseller: Reseller, ticket: Ticket, now: datetime | None = None) -> Escalation:
    """Record the escalation of a ticket that reached the screen by its missed deadline."""
    return escalate(reseller, ticket, "deadline", "deadline_missed", now=now)
