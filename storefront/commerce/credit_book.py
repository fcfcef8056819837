"""Credit notes as the shop's team and its customers read them: lists, one note, refunds still to make.

Each list costs a fixed number of queries however many notes the shop has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from ..branding.shops import ShopLike
from ..extensions import db
from ..models import CreditNote, CreditOutcome, Customer, Invoice, Order
from ..paging import PageCount
from .credit_notes import OUTCOME_LABELS, credit_note_label

PAGE_SIZE = 25


@dataclass(frozen=True)
class CreditNoteRow:
    """One credit note as a list shows it, with its invoice, order and customer."""

    number: int
    issued_at: datetime
    total_minor: int
    currency: str
    outcome: CreditOutcome
    refunded_at: datetime | None
    invoice_number: int
    order_number: int | None  # none for a renewal invoice
    customer_id: int
    customer_number: int
    customer_name: str

    @property
    def label(self) -> str:
        """The note's number as printed."""
        return credit_note_label(self.number)

    @property
    def state(self) -> str:
        """What became of the money, in words."""
        if self.outcome == CreditOutcome.REFUND:
            return "Refunded" if self.refunded_at else "Refund to make"
        return OUTCOME_LABELS[self.outcome]


@dataclass(frozen=True)
class CreditNotePage(PageCount):
    """A page of the shop's credit notes, newest first."""

    per_page = PAGE_SIZE

    rows: list[CreditNoteRow]
    total: int
    page: int


def _rows(reseller_id: int) -> Select:
    return (
        select(
            CreditNote.number,
            CreditNote.issued_at,
            CreditNote.total_minor,
            CreditNote.currency,
            CreditNote.outcome,
            CreditNote.refunded_at,
            Invoice.number,
            Order.number,
            Customer.id,
            Customer.number,
            Customer.name,
        )
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .outerjoin(Order, Order.id == Invoice.order_id)
        .join(Customer, Customer.id == CreditNote.customer_id)
        .where(CreditNote.reseller_id == reseller_id)
    )


def credit_note_page(reseller_id: int, page: int) -> CreditNotePage:
    """Return a page of the shop's credit notes, newest first, in two queries."""
    total = db.session.scalar(select(func.count(CreditNote.id)).where(CreditNote.reseller_id == reseller_id))
    found = db.session.execute(
        _rows(reseller_id).order_by(CreditNote.number.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    )
    return CreditNotePage([CreditNoteRow(*row) for row in found], total, page)


def credit_refunds_to_make(reseller_id: int) -> list[CreditNoteRow]:
    """Return the credit notes whose money is still to be refunded, oldest first, in one query."""
    found = db.session.execute(
        _rows(reseller_id)
        .where(CreditNote.outcome == CreditOutcome.REFUND, CreditNote.refunded_at.is_(None))
        .order_by(CreditNote.number)
    )
    return [CreditNoteRow(*row) for row in found]


@dataclass(frozen=True)
class CreditNoteRecord:
    """One credit note with its lines, its invoice and order numbers, and its customer."""

    note: CreditNote
    invoice_number: int
    order_number: int | None  # none for a renewal invoice
    customer: Customer


def credit_note_record(reseller_id: int, number: int) -> CreditNoteRecord | None:
    """Return everything the console's credit note page shows, in two queries."""
    found = db.session.execute(
        select(CreditNote, Invoice.number, Order.number, Customer)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .outerjoin(Order, Order.id == Invoice.order_id)
        .join(Customer, Customer.id == CreditNote.customer_id)
        .where(CreditNote.reseller_id == reseller_id, CreditNote.number == number)
        .options(selectinload(CreditNote.lines))
    ).first()
    return CreditNoteRecord(*found) if found else None


def credit_notes_of_invoice(invoice: Invoice) -> list[CreditNote]:
    """Return the credit notes issued against an invoice, oldest first."""
    return list(
        db.session.scalars(
            select(CreditNote)
            .where(CreditNote.reseller_id == invoice.reseller_id, CreditNote.invoice_id == invoice.id)
            .order_by(CreditNote.number)
        )
    )


def customer_credit_notes(shop: ShopLike, customer: Customer) -> list[tuple[CreditNote, int]]:
    """Return the customer's credit notes with their invoice's number, newest first, in one query."""
    found = db.session.execute(
        select(CreditNote, Invoice.number)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .where(CreditNote.reseller_id == shop.id, CreditNote.customer_id == customer.id)
        .order_by(CreditNote.number.desc())
    )
    return [tuple(row) for row in found]


def find_customer_credit_note(
    shop: ShopLike, customer: Customer, number: int
) -> tuple[CreditNote, int] | None:
    """Return one of the customer's credit notes by its number in the shop, with its invoice's number."""
    found = db.session.execute(
        select(CreditNote, Invoice.number)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .where(
            CreditNote.reseller_id == shop.id,
            CreditNote.customer_id == customer.id,
            CreditNote.number == number,
        )
        .options(selectinload(CreditNote.lines))
    ).first()
    return tuple(found) if found else None
