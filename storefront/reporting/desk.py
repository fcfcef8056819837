"""The staff desk home: the escalation queue counted by state and by shop, and the work waiting
(bank transfers to confirm, services to set up); a fixed number of queries however long they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from ..extensions import db
from ..models import Invoice, InvoiceStatus, Reseller, Service, ServiceStatus, Ticket, TicketTier
from ..support.escalation import on_escalation_screen


@dataclass(frozen=True)
class StateCount:
    """How many tickets on the escalation screen are in one status."""

    status: str
    count: int


@dataclass(frozen=True)
class ShopCount:
    """One shop's tickets on the escalation screen: escalated to the platform, and missed deadlines."""

    reseller_id: int
    shop_name: str
    total: int
    escalated: int
    missed: int


@dataclass(frozen=True)
class Waiting:
    """A queue of work for the billing desk: how much is waiting and since when."""

    count: int
    oldest: datetime | None


@dataclass(frozen=True)
class QueueCounts:
    """The escalation screen counted: all, past their deadline, with nobody assigned; by status, by shop."""

    total: int
    missed: int
    unassigned: int
    by_state: list[StateCount]
    by_shop: list[ShopCount]


def escalation_counts(now: datetime) -> QueueCounts:
    """Return what is on the escalation screen at ``now``, counted, in two queries."""
    on_screen = on_escalation_screen(now)
    states = db.session.execute(
        select(Ticket.status, func.count(Ticket.id))
        .where(on_screen)
        .group_by(Ticket.status)
        .order_by(Ticket.status)
    ).all()
    shops = db.session.execute(
        select(
            Ticket.reseller_id,
            Reseller.brand_name,
            func.count(Ticket.id),
            func.count(case((Ticket.tier == TicketTier.PLATFORM, 1))),
            func.count(case((Ticket.reply_due_at < now, 1))),
            func.count(case((Ticket.assignee_staff_id.is_(None), 1))),
        )
        .join(Reseller, Reseller.id == Ticket.reseller_id)
        .where(on_screen)
        .group_by(Ticket.reseller_id, Reseller.brand_name)
        .order_by(func.count(Ticket.id).desc(), Reseller.brand_name)
    ).all()
    by_shop = [ShopCount(*row[:5]) for row in shops]
    return QueueCounts(
        total=sum(shop.total for shop in by_shop),
        missed=sum(shop.missed for shop in by_shop),
        unassigned=sum(row[5] for row in shops),
        by_state=[StateCount(status.value, count) for status, count in states],
        by_shop=by_shop,
    )


def waiting_work() -> tuple[Waiting, Waiting]:
    """Return the bank transfers to confirm and the services to set up, with the oldest, in two queries."""
    transfers = db.session.execute(
        select(func.count(Invoice.id), func.min(Invoice.issued_at)).where(
            Invoice.status == InvoiceStatus.ISSUED
        )
    ).one()
    services = db.session.execute(
        select(func.count(Service.id), func.min(Service.created_at)).where(
            Service.status == ServiceStatus.PENDING
        )
    ).one()
    return Waiting(*transfers), Waiting(*services)
