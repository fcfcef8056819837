"""The owner's console home: sales by month in the shop's time zone, tickets owed, unpaid invoices,
new customers; four queries however many orders the shop has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from ..branding.shops import ShopLike
from ..commerce.statement import Month, month_of
from ..extensions import db
from ..models import Customer, Invoice, InvoiceStatus, SalesMonth, Ticket, TicketTier
from ..support.tickets import OPEN_STATUSES

MONTHS_CHARTED = 12
DUE_WITHIN = timedelta(hours=24)


@dataclass(frozen=True)
class MonthSales:
    """What a shop's paid invoices came to in one month of its time zone."""

    month: Month
    amount_minor: int


@dataclass(frozen=True)
class TicketFigures:
    """The shop's open tickets, and the answers its team owes: due within a day, or already late."""

    open: int
    due: int
    late: int


@dataclass(frozen=True)
class Dashboard:
    """Everything the owner's console home shows, for the month ``now`` falls in."""

    currency: str
    months: list[MonthSales]  # the last twelve months, oldest first, the current month last
    tickets: TicketFigures
    unpaid_count: int
    unpaid_minor: int
    new_customers: int
    new_customers_last_month: int

    @property
    def this_month(self) -> MonthSales:
        """The current month's sales so far."""
        return self.months[-1]

    @property
    def last_month(self) -> MonthSales:
        """The previous month's sales."""
        return self.months[-2]

    @property
    def change_percent(self) -> int | None:
        """This month's sales against last month's, as a whole percentage; None when last month had none."""
        if not self.last_month.amount_minor:
            return None
        change = (self.this_month.amount_minor - self.last_month.amount_minor) * 100
        return round(change / self.last_month.amount_minor)


def charted_months(shop: ShopLike, now: datetime) -> list[Month]:
    """Return the twelve months up to the one ``now`` falls in, in the shop's time zone, oldest first."""
    current = month_of(now, ZoneInfo(shop.timezone))
    return [current.shifted(offset) for offset in range(1 - MONTHS_CHARTED, 1)]


def monthly_sales(shop: ShopLike, now: datetime) -> list[MonthSales]:
    """Return the paid invoices' totals in the shop's currency per charted month, in one query.

    Each invoice counts in the month of its payment in the shop's time zone, as the sales by
    month (models.sales) keep them: at most twelve rows are read however many invoices there are.
    """
    months = charted_months(shop, now)
    index = SalesMonth.year * 12 + SalesMonth.month
    rows = db.session.execute(
        select(SalesMonth.year, SalesMonth.month, SalesMonth.amount_minor).where(
            SalesMonth.reseller_id == shop.id,
            SalesMonth.currency == shop.currency,
            index >= months[0].year * 12 + months[0].month,
            index <= months[-1].year * 12 + months[-1].month,
        )
    ).all()
    amounts = {Month(year, month): amount for year, month, amount in rows}
    return [MonthSales(month, amounts.get(month, 0)) for month in months]


def ticket_figures(shop: ShopLike, now: datetime) -> TicketFigures:
    """Return the shop's open tickets and the answers owed, due within a day or late, in one query."""
    owed = Ticket.status.in_(OPEN_STATUSES) & (Ticket.tier == TicketTier.RESELLER)
    opened, due, late = db.session.execute(
        select(
            func.count(Ticket.id),
            func.count(
                case((owed & (Ticket.reply_due_at >= now) & (Ticket.reply_due_at < now + DUE_WITHIN), 1))
            ),
            func.count(case((owed & (Ticket.reply_due_at < now), 1))),
        ).where(Ticket.reseller_id == shop.id, Ticket.status.in_(OPEN_STATUSES))
    ).one()
    return TicketFigures(opened, due, late)


def owner_dashboard(shop: ShopLike, now: datetime) -> Dashboard:
    """Return the owner's figures for the month ``now`` falls in, in four queries."""
    zone = ZoneInfo(shop.timezone)
    current = month_of(now, zone)
    unpaid_count, unpaid_minor = db.session.execute(
        # What is still owed: account credit already applied to an invoice is not owed again.
        select(
            func.count(Invoice.id),
            func.coalesce(func.sum(Invoice.total_minor - Invoice.credit_applied_minor), 0),
        ).where(
            Invoice.reseller_id == shop.id,
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.currency == shop.currency,
        )
    ).one()
    this_start, last_start = current.starts_at(zone), current.shifted(-1).starts_at(zone)
    new_now, new_last = db.session.execute(
        select(
            func.count(case((Customer.created_at >= this_start, 1))),
            func.count(case((Customer.created_at < this_start, 1))),
        ).where(Customer.reseller_id == shop.id, Customer.created_at >= last_start)
    ).one()
    return Dashboard(
        currency=shop.currency,
        months=monthly_sales(shop, now),
        tickets=ticket_figures(shop, now),
        unpaid_count=unpaid_count,
        unpaid_minor=int(unpaid_minor),
        new_customers=new_now,
        new_customers_last_month=new_last,
    )
