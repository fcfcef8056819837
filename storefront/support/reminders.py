"""Warning a shop's team before a reply deadline passes; run by `storefront tickets remind`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update

from ..extensions import db
from ..models import Reseller, Ticket, TicketTier, utcnow
from . import ticket_mail
from .tickets import OPEN_STATUSES


def _due_soon(now: datetime, within: timedelta) -> ColumnElement[bool]:
    """Open shop-tier tickets whose deadline falls within ``within`` and was not warned about."""
    return and_(
        Ticket.status.in_(OPEN_STATUSES),
        Ticket.tier == TicketTier.RESELLER,
        Ticket.reply_due_at > now,
        Ticket.reply_due_at <= now + within,
        or_(Ticket.reminded_for_due_at.is_(None), Ticket.reminded_for_due_at != Ticket.reply_due_at),
    )


def claim_due_soon(now: datetime, within: timedelta) -> list[tuple[Ticket, Reseller]]:
    """Claim the tickets due soon for this run: each deadline is claimed by exactly one run.

    On PostgreSQL the tickets are locked in one order and those another run holds are
    skipped; the conditional UPDATE then marks the deadline warned only where it is not
    yet, so a run that read before another committed claims nothing twice.
    """
    candidates = db.session.execute(
        select(Ticket, Reseller)
        .join(Reseller, Reseller.id == Ticket.reseller_id)
        .where(_due_soon(now, within))
        .order_by(Ticket.reply_due_at, Ticket.id)
        .with_for_update(skip_locked=True, key_share=True, of=Ticket)
    ).all()
    if not candidates:
        return []
    claimed = set(
        db.session.scalars(
            update(Ticket)
            .where(Ticket.id.in_([ticket.id for ticket, _ in candidates]), _due_soon(now, within))
            .values(reminded_for_due_at=Ticket.reply_due_at)
            .returning(Ticket.id),
            execution_options={"synchronize_session": False},
        )
    )
    return [(ticket, reseller) for ticket, reseller in candidates if ticket.id in claimed]


def send_deadline_reminders(within: timedelta = timedelta(hours=1), now: datetime | None = None) -> int:
    """Email each shop's team about tickets due soon, once per deadline; return how many."""
    now = now or utcnow()
    tickets = claim_due_soon(now, within)
    for ticket, reseller in tickets:
        ticket_mail.deadline_close(reseller, ticket)
    db.session.commit()
    return len(tickets)
