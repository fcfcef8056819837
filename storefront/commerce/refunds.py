"""Refunds to make: charges a gateway took that no invoice accepted, until the refund is recorded.

A second valid charge on a paid invoice (or a charge of the wrong amount) is refused with the
gateway's event, and in the same transaction becomes a ``RefundDue``: listed on the staff
payments desk and in the shop's console orders, where either records the refund once, with
the bank's or gateway's reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from ..extensions import db
from ..models import Invoice, Order, RefundDue, Reseller, Service, utcnow
from .payments import GATEWAY_LABELS

AMOUNT_MAX = 2**31 - 1  # the column's range; a gateway never charges more
REFERENCE_RULE = "Please enter the reference of the refund (3 to 120 characters)."


def gateway_label(code: str) -> str:
    """Return a gateway's name for people."""
    return GATEWAY_LABELS.get(code, code)


class RefundError(ValueError):
    """A refund that cannot be recorded; the message says why (a 400)."""


class RefundClosed(RefundError):
    """The refund was already recorded (a 409)."""


def note_refund_due(
    invoice: Invoice,
    gateway: str,
    event_id: str,
    charge_reference: str,
    amount_minor: object,
    currency: object,
    reason: str,
) -> RefundDue | None:
    """Add a refund to make for money taken against ``invoice`` that it did not accept; the caller commits.

    Nothing is added for an amount or currency no gateway could have charged.
    """
    if type(amount_minor) is not int or not 0 < amount_minor <= AMOUNT_MAX:
        return None
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isascii() and currency.isalpha()):
        return None
    refund = RefundDue(
        reseller_id=invoice.reseller_id,
        invoice_id=invoice.id,
        gateway=gateway,
        event_id=event_id,
        charge_reference=charge_reference,
        amount_minor=amount_minor,
        currency=currency.upper(),
        reason=reason[:200],
    )
    db.session.add(refund)
    return refund


@dataclass(frozen=True)
class RefundRow:
    """A refund to make as a desk lists it: the shop, the invoice and the order it belongs to."""

    refund: RefundDue
    shop_name: str
    invoice_number: int
    order_number: int | None  # none for a renewal invoice
    customer_id: int
    service_number: int | None = None  # the service a renewal invoice renewed

    @property
    def gateway_label(self) -> str:
        """The gateway's name for people."""
        return gateway_label(self.refund.gateway)


def refunds_to_make(reseller_id: int | None = None) -> list[RefundRow]:
    """Return the refunds not yet made, oldest first, across shops or for one, in one query."""
    query = (
        select(
            RefundDue, Reseller.brand_name, Invoice.number, Order.number, Invoice.customer_id, Service.number
        )
        .join(Invoice, Invoice.id == RefundDue.invoice_id)
        .outerjoin(Order, Order.id == Invoice.order_id)
        .outerjoin(Service, Service.id == Invoice.service_id)
        .join(Reseller, Reseller.id == RefundDue.reseller_id)
        .where(RefundDue.refunded_at.is_(None), RefundDue.credited_at.is_(None))
        .order_by(RefundDue.created_at, RefundDue.id)
    )
    if reseller_id is not None:
        query = query.where(RefundDue.reseller_id == reseller_id)
    return [RefundRow(*row) for row in db.session.execute(query)]


def refunds_of_invoice(invoice: Invoice) -> list[RefundDue]:
    """Return every refund (made or to make) recorded against ``invoice``."""
    return list(
        db.session.scalars(
            select(RefundDue)
            .where(RefundDue.reseller_id == invoice.reseller_id, RefundDue.invoice_id == invoice.id)
            .order_by(RefundDue.id)
        )
    )


def find_refund(invoice: Invoice, charge_reference: str) -> RefundDue | None:
    """Return the refund recorded against ``invoice`` for one gateway charge."""
    return db.session.scalar(
        select(RefundDue).where(
            RefundDue.reseller_id == invoice.reseller_id,
            RefundDue.invoice_id == invoice.id,
            RefundDue.charge_reference == charge_reference,
        )
    )


def shop_refund(reseller_id: int, invoice_number: int, charge_reference: str) -> RefundDue | None:
    """Return the refund recorded against one of the shop's invoices (by its number) for one charge."""
    return db.session.scalar(
        select(RefundDue)
        .join(Invoice, Invoice.id == RefundDue.invoice_id)
        .where(
            RefundDue.reseller_id == reseller_id,
            Invoice.reseller_id == reseller_id,
            Invoice.number == invoice_number,
            RefundDue.charge_reference == charge_reference,
        )
    )


def mark_refunded(refund: RefundDue, raw_reference: str, by: str, now: datetime | None = None) -> None:
    """Record that the money went back, with its reference, once; the caller audits and commits."""
    reference = " ".join((raw_reference or "").split())
    if not 3 <= len(reference) <= 120:
        raise RefundError(REFERENCE_RULE)
    if not reference.isprintable():
        raise RefundError("Remove the invisible control characters from the reference.")
    done = db.session.execute(
        update(RefundDue)
        .where(RefundDue.id == refund.id, RefundDue.refunded_at.is_(None), RefundDue.credited_at.is_(None))
        .values(refunded_at=now or utcnow(), refund_reference=reference, refunded_by=by[:160])
        .execution_options(synchronize_session="fetch")
    )
    if done.rowcount != 1:
        raise RefundClosed("This money was already given back; nothing was changed.")
