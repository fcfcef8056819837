"""Warning a shop's team before a reply deadline passes; run by `storefront tickets remind`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select

from ..extensions import db
from ..models import Reseller, Ticket, TicketTier, utcnow
from . import ticket_mail
from .tickets import OPEN_STATUSES


def due_soon(now: datetime, within: timedelta) -> list[tuple[Ticket, Reseller]]:
    """Return open shop-tier tickets whose deadline falls within ``within`` and was not warned about."""
    rows = db.session.execute(
        select(Ticket, Reseller)
        .join(Reseller, Reseller.id == Ticket.reseller_id)
        .where(
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.tier == TicketTier.RESELLER,
            Ticket.reply_due_at > now,
            Ticket.reply_due_at <= now + within,
            or_(Ticket.reminded_for_due_at.is_(None), Ticket.reminded_for_due_at != Ticket.reply_due_at),
        )
        .order_by(Ticket.reply_due_at)
    ).all()
    return [(ticket, reseller) for ticket, reseller in rows]


def send_deadline_reminders(within: timedelta = timedelta(hours=1), now: datetime | None = None) -> int:
    """Email each shop's team about tickets due soon, once per deadline; return how many."""
    now = now or utcnow()
    tickets = due_soon(now, within)
    for ticket, reseller in tickets:
        ticket_mail.deadline_close(reseller, ticket)
        ticket.reminded_for_due_at = ticket.reply_due_at
    db.session.commit()
    return len(tickets)
