"""Issuing invoices: gapless numbers per shop, the seller and buyer copied in at issue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Customer, Invoice, InvoiceCounter, InvoiceLine, Order, Reseller, utcnow


def take_invoice_number(reseller_id: int) -> int:
    """Return the shop's next invoice number, holding its counter locked until commit."""
    locked = (
        select(InvoiceCounter)
        .where(InvoiceCounter.reseller_id == reseller_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter = db.session.scalar(locked)
    if counter is None:
        try:
            with db.session.begin_nested():
                db.session.add(InvoiceCounter(reseller_id=reseller_id, next_number=1))
        except IntegrityError:  # another checkout made it first
            pass
        counter = db.session.scalar(locked)
    number = counter.next_number
    counter.next_number = number + 1
    return number


def issue_invoice(order: Order, customer: Customer) -> Invoice:
    """Issue the invoice of an order; from now on only its settlement may change."""
    seller = db.session.get(Reseller, order.reseller_id)
    invoice = Invoice(
        reseller_id=order.reseller_id,
        order_id=order.id,
        customer_id=customer.id,
        number=take_invoice_number(order.reseller_id),
        currency=order.currency,
        total_minor=order.total_minor,
        seller_name=seller.legal_name,
        seller_address=seller.postal_address,
        buyer_name=customer.name,
        buyer_email=customer.email,
        issued_at=utcnow(),
    )
    invoice.lines = [
        InvoiceLine(
            reseller_id=order.reseller_id,
            position=index,
            description=line.description,
            amount_minor=line.amount_minor,
        )
        for index, line in enumerate(order.lines, start=1)
    ]
    db.session.add(invoice)
    return invoice


def invoice_label(number: int) -> str:
    """Return an invoice number as printed, for example ``INV-000042``."""
    return f"INV-{number:06d}"
