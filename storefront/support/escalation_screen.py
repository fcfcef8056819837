"""The escalation screen's reads: the queue page, its poll fingerprint, a shop's record, and triage.

Every function here costs a fixed number of queries, however many tickets there are.
"""

from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select

from ..extensions import db
from ..models import (
    Escalation,
    InboundEmail,
    InboundOutcome,
    Reseller,
    StaffRole,
    StaffUser,
    TeamMember,
    Ticket,
    TicketMessage,
    TicketTier,
)
from .escalation import REASONS, QueueFilters, on_escalation_screen, queue_condition, queue_order
from .inbound.held import readable_text
from .tickets import OPEN_STATUSES, THREAD_LOADED

PAGE_SIZE = 50
RECORD_DAYS = 30
ESCALATION_DESK = (StaffRole.SUPPORT, StaffRole.ADMIN)
REASON_LABELS = {**REASONS, "handed_back": "Handed back to the shop"}


@dataclass(frozen=True)
class QueueRow:
    """One ticket as the queue lists it: no customer details, only what triage needs."""

    ticket_id: int
    subject: str
    status: str
    tier: str
    priority: int
    reply_due_at: datetime | None
    escalated_at: datetime | None
    brand_name: str
    reseller_id: int
    assignee_name: str | None
    reason: str | None
    customer_id: int | None  # for the audit log only; the queue shows no customer details
    updated_at: datetime | None = None  # for the fingerprint: every change to a ticket moves it

    def missed_for(self, now: datetime) -> timedelta | None:
        """Return how long ago the reply deadline passed, or None if it has not."""
        if self.reply_due_at is None or self.reply_due_at >= now:
            return None
        return now - self.reply_due_at

    @property
    def only_missed(self) -> bool:
        """True when the ticket is here by its missed deadline and nobody has escalated it yet."""
        return self.tier == TicketTier.RESELLER.value


@dataclass(frozen=True)
class QueueState:
    """One page of the filtered queue: how many tickets match, the page, its rows (reasons not yet
    loaded) and a fingerprint of what the page shows."""

    total: int
    page: int
    rows: list[QueueRow]
    fingerprint: str

    def pages(self) -> int:
        """Return the number of pages (at least one)."""
        return max(1, -(-self.total // PAGE_SIZE))


def queue_state(now: datetime, filters: QueueFilters, page: int) -> QueueState:
    """Return page ``page`` of the filtered queue (the last page when past it), in two queries.

    The fingerprint hashes the count and, for each ticket on the page in order, its id, its last
    update and whether its deadline has passed. Every action on a ticket moves ``updated_at`` and
    the clock moves tickets on and off the screen, so any change to the tickets shown, their order
    or the count changes it, while a poll that finds it unchanged costs only these two queries.
    """
    total = db.session.scalar(select(func.count(Ticket.id)).where(queue_condition(now, filters)))
    page = min(page, max(1, -(-total // PAGE_SIZE)))
    rows = _page_rows(now, filters, page)
    shown = [f"{row.ticket_id}:{row.updated_at}:{row.missed_for(now) is not None}" for row in rows]
    raw = "|".join([str(total), str(page), *shown])
    return QueueState(total, page, rows, hashlib.blake2s(raw.encode(), digest_size=8).hexdigest())


def with_reasons(rows: list[QueueRow]) -> list[QueueRow]:
    """Return the rows with the reason of each ticket's latest escalation, in one query."""
    reasons = latest_reasons([row.ticket_id for row in rows])
    return [replace(row, reason=reasons.get(row.ticket_id)) for row in rows]


def _page_rows(now: datetime, filters: QueueFilters, page: int) -> list[QueueRow]:
    """Return one page of the queue with shop and assignee, in one query."""
    order = queue_order(now)
    page_ids = (
        select(Ticket.id)
        .where(queue_condition(now, filters))
        .order_by(*order)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .subquery()
    )
    query = (
        select(
            Ticket.id,
            Ticket.subject,
            Ticket.status,
            Ticket.tier,
            Ticket.priority,
            Ticket.reply_due_at,
            Ticket.escalated_at,
            Reseller.brand_name,
            Ticket.reseller_id,
            StaffUser.name,
            Ticket.customer_id,
            Ticket.updated_at,
        )
        .join(page_ids, page_ids.c.id == Ticket.id)
        .join(Reseller, Reseller.id == Ticket.reseller_id)
        .outerjoin(StaffUser, StaffUser.id == Ticket.assignee_staff_id)
        .order_by(*order)
    )
    rows = db.session.execute(query).all()
    return [QueueRow(*r[:2], r[2].value, r[3].value, *r[4:10], None, *r[10:]) for r in rows]


def latest_reasons(ticket_ids: list[int]) -> dict[int, str]:
    """Return the reason of each ticket's latest escalation (hand-backs aside), in one query."""
    if not ticket_ids:
        return {}
    latest = (
        select(func.max(Escalation.id))
        .where(Escalation.ticket_id.in_(ticket_ids), Escalation.reason != "handed_back")
        .group_by(Escalation.ticket_id)
    )
    rows = db.session.execute(
        select(Escalation.ticket_id, Escalation.reason).where(Escalation.id.in_(latest))
    )
    return dict(rows.tuples().all())


def shop_choices() -> list[tuple[int, str]]:
    """Return every shop's id and brand, for the queue's shop filter."""
    return list(db.session.execute(select(Reseller.id, Reseller.brand_name).order_by(Reseller.brand_name)))


def desk_staff() -> list[tuple[int, str]]:
    """Return the active staff who work escalations, for the assignee filter and select."""
    query = (
        select(StaffUser.id, StaffUser.name)
        .where(StaffUser.active.is_(True), StaffUser.role.in_(ESCALATION_DESK))
        .order_by(StaffUser.name, StaffUser.id)
    )
    return list(db.session.execute(query).tuples())


def staff_name(staff_id: int | None) -> str | None:
    """Return a staff member's name (active or not), or None."""
    return db.session.scalar(select(StaffUser.name).where(StaffUser.id == staff_id)) if staff_id else None


def screen_ticket(ticket_id: int, now: datetime) -> Ticket | None:
    """Return the ticket if it is on the escalation screen now, else None."""
    return db.session.scalar(
        select(Ticket).where(Ticket.id == ticket_id, on_escalation_screen(now)).options(*THREAD_LOADED)
    )


@dataclass(frozen=True)
class ThreadEntry:
    """A message with who wrote it, as staff see it (internal notes included)."""

    message: TicketMessage
    writer: str


def staff_thread(ticket: Ticket, persona: str, customer_name: str) -> list[ThreadEntry]:
    """Return the whole thread with writers named, in three queries."""
    messages = ticket.messages
    staff_ids = {m.staff_id for m in messages if m.staff_id}
    team_ids = {m.team_member_id for m in messages if m.team_member_id}
    staff = _names(StaffUser, staff_ids)
    team = _names(TeamMember, team_ids)
    entries = []
    for message in messages:
        if message.author.value == "staff":
            writer = f"{staff.get(message.staff_id, 'Staff')} (staff, as {persona})"
        elif message.author.value == "team":
            writer = f"{team.get(message.team_member_id, 'Shop team')} (shop team)"
        elif message.author.value == "customer":
            writer = f"{customer_name} (customer)"
        else:
            writer = "System"
        entries.append(ThreadEntry(message, writer))
    return entries


def _names(model: type[StaffUser] | type[TeamMember], ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).tuples().all())


def escalation_history(ticket_id: int) -> list[Escalation]:
    """Return every escalation and hand-back of a ticket, oldest first."""
    query = select(Escalation).where(Escalation.ticket_id == ticket_id).order_by(Escalation.id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class ShopRecord:
    """A shop's support record over the last days: counts and response times, no customers."""

    days: int
    opened: int
    waiting_past_deadline: int
    escalations: dict[str, int]
    first_responses: int
    median_first_response: timedelta | None
    average_first_response: timedelta | None

    @property
    def escalated_for_missed_deadline(self) -> int:
        """Return how many escalations in the window were for a missed deadline."""
        return self.escalations.get("deadline_missed", 0)


def shop_record(reseller_id: int, now: datetime, days: int = RECORD_DAYS) -> ShopRecord:
    """Return the shop's record over ``days`` from timestamps, in three queries."""
    since = now - timedelta(days=days)
    open_and_late = and_(Ticket.status.in_(OPEN_STATUSES), Ticket.reply_due_at < now)
    opened, late = db.session.execute(
        select(
            func.count(case((Ticket.created_at >= since, Ticket.id))),
            func.count(case((open_and_late, Ticket.id))),
        ).where(Ticket.reseller_id == reseller_id)
    ).one()
    by_reason = db.session.execute(
        select(Escalation.reason, func.count())
        .where(Escalation.reseller_id == reseller_id, Escalation.created_at >= since)
        .group_by(Escalation.reason)
        .order_by(Escalation.reason)
    ).tuples()
    times = db.session.execute(
        select(Ticket.created_at, Ticket.first_response_at).where(
            Ticket.reseller_id == reseller_id, Ticket.first_response_at >= since
        )
    ).tuples()
    seconds = [(answered - opened_at).total_seconds() for opened_at, answered in times]
    return ShopRecord(
        days=days,
        opened=opened,
        waiting_past_deadline=late,
        escalations=dict(by_reason.all()),
        first_responses=len(seconds),
        median_first_response=timedelta(seconds=statistics.median(seconds)) if seconds else None,
        average_first_response=timedelta(seconds=statistics.fmean(seconds)) if seconds else None,
    )


def _waiting_for_staff():
    """Emails no rule could place, and mail kept aside with no one shop to show it to."""
    held = (InboundEmail.outcome == InboundOutcome.QUARANTINED) & InboundEmail.reseller_id.is_(None)
    return ((InboundEmail.outcome == InboundOutcome.TRIAGE) | held) & InboundEmail.dismissed_at.is_(None)


def triage_emails(page: int) -> tuple[list[InboundEmail], int]:
    """Return a page of emails waiting for staff to decide, oldest first, and how many there are."""
    waiting = _waiting_for_staff()
    total = db.session.scalar(select(func.count(InboundEmail.id)).where(waiting)) or 0
    query = (
        select(InboundEmail)
        .where(waiting)
        .order_by(InboundEmail.created_at, InboundEmail.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return list(db.session.scalars(query)), total


def triage_email(inbound_id: int) -> InboundEmail | None:
    """Return the email if it is waiting for staff, else None."""
    return db.session.scalar(select(InboundEmail).where(InboundEmail.id == inbound_id, _waiting_for_staff()))


def readable_body(raw: bytes) -> str:
    """Return an email's text for a staff screen: the plain part, or the HTML part reduced to text."""
    return readable_text(raw)


def duration(delta: timedelta | None) -> str:
    """Return a short human duration such as ``2 d 3 h``, ``4 h 10 m`` or ``7 m``."""
    if delta is None:
        return "—"
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} m" if hours else f"{minutes} m"
