"""The wholesale statement: what a shop's sales cost it at wholesale, month by month in its own time zone.

Beside the charges it lists the month's credit notes. They correct the shop's invoices to its own
customers and leave the wholesale charges as they were: what the shop gives back to a customer
does not reverse what the platform charged for the order.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import aliased

from ..branding.shops import ShopLike
from ..catalog.pricing import decimal_text
from ..extensions import db
from ..models import CreditNote, CreditOutcome, Invoice, InvoiceLine, LedgerEntry, Order, Plan
from ..paging import page_count
from .credit_notes import OUTCOME_LABELS, credit_note_label
from .invoices import invoice_label

PAGE_SIZE = 100
CREDITS_SHOWN = 100  # a month's credit notes on the statement; the credit notes list has them all
MONTHS_LISTED = 120  # the month picker lists the latest ten years that have charges
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class MonthError(ValueError):
    """A month that cannot be read; the message tells a person how to write one."""


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, as the shop's statement covers it."""

    year: int
    month: int

    @property
    def slug(self) -> str:
        """The month as written in links and file names, for example ``2026-11``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """The month as people read it, for example ``November 2026``."""
        return date(self.year, self.month, 1).strftime("%B %Y")

    def shifted(self, months: int) -> Month:
        """Return the month ``months`` before (negative) or after this one."""
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def starts_at(self, zone: ZoneInfo) -> datetime:
        """Return the UTC moment this month begins in a time zone."""
        return datetime(self.year, self.month, 1, tzinfo=zone).astimezone(UTC)


def month_of(moment: datetime, zone: ZoneInfo) -> Month:
    """Return the month a UTC moment falls in, in a time zone."""
    local = moment.astimezone(zone)
    return Month(local.year, local.month)


def parse_month(raw: str) -> Month:
    """Return the month a value like ``2026-11`` names."""
    match = _MONTH.fullmatch(raw.strip())
    if match is None or not 1 <= int(match[2]) <= 12 or not 1970 <= int(match[1]) <= 9998:
        raise MonthError("Please choose a month written as year and month, for example 2026-11.")
    return Month(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class StatementLine:
    """One wholesale charge: when, for which order (none for a renewal) and invoice, what, and how much."""

    charged_at: datetime
    order_number: int | None  # the shop's number of the order
    invoice_number: int | None
    plan_name: str | None
    description: str
    amount_minor: int
    currency: str

    @property
    def item(self) -> str:
        """The plan's name for hosting, the charge's own description for anything else."""
        return self.plan_name or self.description

    @property
    def invoice_label(self) -> str:
        """The order's invoice as printed, or an empty string."""
        return invoice_label(self.invoice_number) if self.invoice_number is not None else ""


@dataclass(frozen=True)
class StatementCredit:
    """A credit note the shop issued to a customer in the month; no wholesale charge changes with it."""

    issued_at: datetime
    number: int
    invoice_number: int
    order_number: int | None  # none for a renewal invoice
    total_minor: int
    currency: str
    outcome: CreditOutcome

    @property
    def label(self) -> str:
        """The credit note's number as printed."""
        return credit_note_label(self.number)

    @property
    def invoice_label(self) -> str:
        """The credited invoice's number as printed."""
        return invoice_label(self.invoice_number)

    @property
    def becomes(self) -> str:
        """What the credited money became, in words."""
        return OUTCOME_LABELS[self.outcome]


@dataclass(frozen=True)
class Statement:
    """One page of a month's wholesale charges, the month's totals, the months that have charges, and
    the credit notes issued in the month."""

    month: Month
    lines: list[StatementLine]
    totals: list[tuple[str, int]]
    count: int
    page: int
    pages: int
    months_with_charges: list[Month]
    credits: Sequence[StatementCredit] = ()


def _in_month(shop: ShopLike, month: Month) -> tuple[ColumnElement[bool], ...]:
    return (LedgerEntry.reseller_id == shop.id, _between(month, ZoneInfo(shop.timezone)))


def _lines(shop: ShopLike, month: Month) -> Select:
    """A charge's invoice is its order's, or for a renewal the invoice its line is on."""
    renewal = aliased(Invoice)
    return (
        select(
            LedgerEntry.created_at,
            Order.number,
            func.coalesce(Invoice.number, renewal.number),
            Plan.name,
            LedgerEntry.description,
            LedgerEntry.amount_minor,
            LedgerEntry.currency,
        )
        .outerjoin(Order, Order.id == LedgerEntry.order_id)
        .outerjoin(Plan, Plan.id == LedgerEntry.plan_id)
        .outerjoin(Invoice, (Invoice.order_id == LedgerEntry.order_id) & (Invoice.reseller_id == shop.id))
        .outerjoin(InvoiceLine, InvoiceLine.id == LedgerEntry.invoice_line_id)
        .outerjoin(renewal, (renewal.id == InvoiceLine.invoice_id) & (renewal.reseller_id == shop.id))
        .where(*_in_month(shop, month))
        .order_by(LedgerEntry.created_at, LedgerEntry.id)
    )


def statement_lines(shop: ShopLike, month: Month) -> list[StatementLine]:
    """Return every wholesale charge of the shop in a month, oldest first."""
    return [StatementLine(*row) for row in db.session.execute(_lines(shop, month))]


def monthly_statement(shop: ShopLike, month: Month, page: int = 1) -> Statement:
    """Return one page of the month's charges with the month's totals per currency."""
    totals = db.session.execute(
        select(LedgerEntry.currency, func.sum(LedgerEntry.amount_minor), func.count())
        .where(*_in_month(shop, month))
        .group_by(LedgerEntry.currency)
        .order_by(LedgerEntry.currency)
    ).all()
    count = sum(row[2] for row in totals)
    pages = page_count(count, PAGE_SIZE)
    page = min(max(page, 1), pages)
    rows = db.session.execute(_lines(shop, month).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    return Statement(
        month=month,
        lines=[StatementLine(*row) for row in rows],
        totals=[(currency, amount) for currency, amount, _ in totals],
        count=count,
        page=page,
        pages=pages,
        months_with_charges=months_with_charges(shop),
        credits=credits_in_month(shop, month),
    )


def credits_in_month(shop: ShopLike, month: Month) -> list[StatementCredit]:
    """Return the credit notes the shop issued in a month (its first ``CREDITS_SHOWN``), in one query."""
    zone = ZoneInfo(shop.timezone)
    rows = db.session.execute(
        select(
            CreditNote.issued_at,
            CreditNote.number,
            Invoice.number,
            Order.number,
            CreditNote.total_minor,
            CreditNote.currency,
            CreditNote.outcome,
        )
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .outerjoin(Order, Order.id == Invoice.order_id)
        .where(
            CreditNote.reseller_id == shop.id,
            CreditNote.issued_at >= month.starts_at(zone),
            CreditNote.issued_at < month.shifted(1).starts_at(zone),
        )
        .order_by(CreditNote.number)
        .limit(CREDITS_SHOWN)
    )
    return [StatementCredit(*row) for row in rows]


def months_with_charges(shop: ShopLike) -> list[Month]:
    """Return the months (in the shop's time zone) that have charges, newest first."""
    zone = ZoneInfo(shop.timezone)
    first, last = db.session.execute(
        select(func.min(LedgerEntry.created_at), func.max(LedgerEntry.created_at)).where(
            LedgerEntry.reseller_id == shop.id
        )
    ).one()
    if first is None:
        return []
    newest = month_of(last, zone)
    oldest = max(month_of(first, zone), newest.shifted(1 - MONTHS_LISTED))
    span = [
        oldest.shifted(n) for n in range((newest.year - oldest.year) * 12 + newest.month - oldest.month + 1)
    ]
    # One query for every month: count the charges that fall between each month's bounds.
    counts = db.session.execute(
        select(*(func.count(case((_between(month, zone), 1))) for month in span)).where(
            LedgerEntry.reseller_id == shop.id
        )
    ).one()
    return [month for month, found in zip(span, counts, strict=True) if found][::-1]


def _between(month: Month, zone: ZoneInfo) -> ColumnElement[bool]:
    return (LedgerEntry.created_at >= month.starts_at(zone)) & (
        LedgerEntry.created_at < month.shifted(1).starts_at(zone)
    )


def spreadsheet_safe(cell: str) -> str:
    """Return a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


CSV_HEADER = ("Date", "Order", "Invoice", "Item", "Description", "Amount", "Currency")


def statement_csv(shop: ShopLike, month: Month) -> str:
    """Return the month's charges as CSV: one row per charge, amounts as decimals with their currency."""
    zone = ZoneInfo(shop.timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for line in statement_lines(shop, month):
        cells = (
            line.charged_at.astimezone(zone).strftime("%Y-%m-%d"),
            str(line.order_number) if line.order_number is not None else "",
            line.invoice_label,
            line.item,
            line.description,
            decimal_text(line.amount_minor, line.currency),
            line.currency,
        )
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    # A byte-order mark tells spreadsheet programs the file is UTF-8 (names of domains may not be ASCII).
    return "\ufeff" + buffer.getvalue()
