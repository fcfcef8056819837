"""Cancelling new orders left unpaid: the order is cancelled and its invoice CANCELLED, with an email.

A batch locks the orders' invoices first (skipping those a payment holds, on PostgreSQL), in the order a
payment takes its locks (invoice, then order), and cancels each invoice with a conditional UPDATE, so an
invoice paid meanwhile stays paid and its order stands.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, select, update

from ..commerce.invoices import invoice_label
from ..extensions import db
from ..models import Customer, Invoice, InvoicePurpose, InvoiceStatus, Order, OrderStatus, Reseller
from .due_dates import local_date, start_of_day
from .life import return_credit_of
from .notices import Mailer, claim_invoice_notices, day_text


def unpaid_orders(shop: Reseller, as_of: date) -> ColumnElement[bool]:
    """Orders of ``shop`` placed ``cancel_unpaid_after_days`` or more days ago (shop's calendar), unpaid."""
    placed_before = start_of_day(as_of - timedelta(days=shop.cancel_unpaid_after_days - 1), shop.timezone)
    return and_(
        Invoice.reseller_id == shop.id,
        Invoice.purpose == InvoicePurpose.ORDER,
        Invoice.status == InvoiceStatus.ISSUED,
        Order.status == OrderStatus.PENDING_PAYMENT,
        Order.created_at < placed_before,
    )


def order_candidates(shop: Reseller, as_of: date) -> Select:
    """The invoices of orders a run would cancel now."""
    return select(Invoice.id).join(Order, Order.id == Invoice.order_id).where(unpaid_orders(shop, as_of))


def cancel_unpaid_orders(
    shop: Reseller, as_of: date, now: datetime, limit: int, mailer: Mailer
) -> tuple[int, int]:
    """Cancel up to ``limit`` unpaid new orders and their invoices; return (found, cancelled)."""
    found = db.session.execute(
        select(
            Invoice.id,
            Invoice.number,
            Invoice.total_minor,
            Invoice.currency,
            Order.number,
            Order.created_at,
            Customer.id,
            Customer.name,
            Customer.email,
        )
        .join(Order, Order.id == Invoice.order_id)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(unpaid_orders(shop, as_of))
        .order_by(Invoice.id)
        .limit(limit)
        .with_for_update(of=Invoice, skip_locked=True, key_share=True)
    ).all()
    if not found:
        return 0, 0
    closed = db.session.execute(
        update(Invoice)
        .where(Invoice.id.in_([row[0] for row in found]), Invoice.status == InvoiceStatus.ISSUED)
        .values(status=InvoiceStatus.CANCELLED)
        .returning(
            Invoice.id,
            Invoice.order_id,
            Invoice.reseller_id,
            Invoice.customer_id,
            Invoice.number,
            Invoice.currency,
            Invoice.credit_applied_minor,
        ),
        execution_options={"synchronize_session": False},
    ).all()
    cancelled = {row[0]: row[1] for row in closed}
    return_credit_of(
        [(row[0], *row[2:]) for row in closed], f"unpaid {shop.cancel_unpaid_after_days} days after the order"
    )
    if cancelled:
        db.session.execute(
            update(Order)
            .where(Order.id.in_(list(cancelled.values())), Order.status == OrderStatus.PENDING_PAYMENT)
            .values(status=OrderStatus.CANCELLED),
            execution_options={"synchronize_session": False},
        )
    noticed = claim_invoice_notices(shop.id, list(cancelled), "order_cancelled", now)
    for invoice_id, number, total, currency, order_number, placed_at, customer_id, name, email in found:
        if invoice_id in noticed:
            mailer.add(
                email,
                "order_cancelled",
                customer_id,
                customer_name=name,
                order_number=order_number,
                placed_on=day_text(local_date(placed_at, shop.timezone)),
                invoice_label=invoice_label(number),
                amount_minor=total,
                currency=currency,
                days=shop.cancel_unpaid_after_days,
                plans_url=mailer.url("/plans"),
            )
    return len(found), len(cancelled)
