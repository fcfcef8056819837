"""Sales by month: each shop's paid invoices summed per month of payment (in the shop's time zone)
and currency, kept up to date in the transaction that marks an invoice paid."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, CheckConstraint, Connection, ForeignKey, String, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from .invoice import Invoice, InvoiceStatus
from .reseller import Reseller

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class SalesMonth(db.Model):
    """What one shop's invoices paid in one month and currency came to; the console home reads
    twelve of these rows however many invoices the shop has."""

    __table_args__ = (
        CheckConstraint("month BETWEEN 1 AND 12", "month_range"),
        CheckConstraint("amount_minor >= 0", "amount_not_negative"),
    )

    reseller_id: Mapped[int] = mapped_column(ForeignKey("reseller.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    invoices: Mapped[int] = mapped_column(default=0)


def record_sales(connection: Connection, paid: Iterable[tuple[int, datetime, str, int]]) -> None:
    """Add paid invoices, as (shop, paid at, currency, total), to their shops' months."""
    paid = list(paid)
    if not paid:
        return
    shops = {shop for shop, *_ in paid}
    zones = {
        shop: ZoneInfo(zone)
        for shop, zone in connection.execute(
            select(Reseller.id, Reseller.timezone).where(Reseller.id.in_(shops))
        )
    }
    amounts: Counter[tuple[int, int, int, str]] = Counter()
    counts: Counter[tuple[int, int, int, str]] = Counter()
    for shop, paid_at, currency, total in paid:
        local = paid_at.astimezone(zones[shop])
        key = (shop, local.year, local.month, currency)
        amounts[key] += total
        counts[key] += 1
    table = SalesMonth.__table__
    for (shop, year, month, currency), amount in sorted(amounts.items()):
        upsert = _INSERTS[connection.dialect.name](table).values(
            reseller_id=shop,
            year=year,
            month=month,
            currency=currency,
            amount_minor=amount,
            invoices=counts[shop, year, month, currency],
        )
        connection.execute(
            upsert.on_conflict_do_update(
                index_elements=[table.c.reseller_id, table.c.year, table.c.month, table.c.currency],
                set_={
                    "amount_minor": table.c.amount_minor + upsert.excluded.amount_minor,
                    "invoices": table.c.invoices + upsert.excluded.invoices,
                },
            )
        )


def _newly_paid(session: Session) -> list[Invoice]:
    found = []
    for invoice in (*session.new, *session.dirty):
        if (
            not isinstance(invoice, Invoice)
            or invoice.status != InvoiceStatus.PAID
            or invoice.paid_at is None
        ):
            continue
        history = inspect(invoice).attrs.status.history
        if invoice in session.new or (history.added and InvoiceStatus.PAID not in history.deleted):
            found.append(invoice)
    return found


@event.listens_for(Session, "after_flush")
def _count_paid_invoices(session: Session, flush_context) -> None:
    """Whatever marks an invoice paid adds it to its month in the same transaction."""
    paid = _newly_paid(session)
    if paid:
        record_sales(
            session.connection(),
            [
                (invoice.reseller_id, invoice.paid_at, invoice.currency, invoice.total_minor)
                for invoice in paid
            ],
        )
