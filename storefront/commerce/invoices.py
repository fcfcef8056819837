"""Issuing invoices: gapless numbers per shop, the seller and buyer copied in at issue."""

from __future__ import annotations

from datetime import datetime

from ..extensions import db
from ..models import Customer, Invoice, InvoiceLine, Order, Reseller, utcnow


def issue_invoice(order: Order, customer: Customer, now: datetime | None = None) -> Invoice:
    """Issue the invoice of an order, numbered as it is written; after that only its settlement changes."""
    seller = db.session.get(Reseller, order.reseller_id)
    invoice = Invoice(
        reseller_id=order.reseller_id,
        order_id=order.id,
        customer_id=customer.id,
        currency=order.currency,
        total_minor=order.total_minor,
        seller_name=seller.legal_name,
        seller_address=seller.postal_address,
        buyer_name=customer.name,
        buyer_email=customer.email,
        issued_at=now or utcnow(),
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
