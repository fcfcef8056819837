"""Cancelling new orders left unpaid: the order is cancelled and its invoice CANCELLED, with an email;
account credit the invoice held goes back to the customer. The billing run cancels those unpaid too long;
the shop's team cancels one with a reason (``cancel_order``), through the same steps.

A batch locks the orders' invoices first (skipping those a payment holds, on PostgreSQL), in the order a
payment takes its locks (invoice, then order), and cancels each invoice with a conditional UPDATE, so an
invoice paid meanwhile stays paid and its order stands.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, select, update

from ..branding.shops import ShopLike
from ..commerce.account_credit import add_credit_entry, lock_customer
from ..commerce.invoices import invoice_label
from ..extensions import db
from ..models import (
    CreditSource,
    Customer,
    Invoice,
    InvoicePurpose,
    InvoiceStatus,
    Order,
    OrderStatus,
    Reseller,
    utcnow,
)
from .due_dates import local_date, start_of_day
from .life import SYSTEM
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


_FOUND = (
    Invoice.id,
    Invoice.number,
    Invoice.total_minor,
    Invoice.currency,
    Invoice.credit_applied_minor,
    Order.number,
    Order.created_at,
    Customer.id,
    Customer.name,
    Customer.email,
)


class OrderNotCancellable(ValueError):
    """The order cannot be cancelled as it stands (paid, or already cancelled); nothing was changed."""


def cancel_unpaid_orders(
    shop: Reseller, as_of: date, now: datetime, limit: int, mailer: Mailer
) -> tuple[int, int]:
    """Cancel up to ``limit`` unpaid new orders and their invoices; return (found, cancelled)."""
    found = db.session.execute(
        select(*_FOUND)
        .join(Order, Order.id == Invoice.order_id)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(unpaid_orders(shop, as_of))
        .order_by(Invoice.id)
        .limit(limit)
        .with_for_update(of=Invoice, skip_locked=True, key_share=True)
    ).all()
    if not found:
        return 0, 0
    return len(found), len(_cancel(shop, found, now, mailer, SYSTEM, shop.cancel_unpaid_after_days))


def cancel_order(shop: ShopLike, order: Order, actor: str, reason: str, now: datetime | None = None) -> None:
    """Cancel one unpaid new order and its invoice now, with a reason the customer is emailed; refused
    (``OrderNotCancellable``) for a paid or cancelled order. The caller audits and commits."""
    now = now or utcnow()
    found = db.session.execute(
        select(*_FOUND, Invoice.status, Order.status)
        .join(Order, Order.id == Invoice.order_id)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.reseller_id == shop.id, Invoice.purpose == InvoicePurpose.ORDER, Order.id == order.id)
        .with_for_update(of=Invoice, key_share=True)
    ).first()
    if found is None or found[-2] == InvoiceStatus.CANCELLED or found[-1] == OrderStatus.CANCELLED:
        raise OrderNotCancellable("This order is already cancelled; nothing was changed.")
    if found[-2] == InvoiceStatus.PAID or found[-1] != OrderStatus.PENDING_PAYMENT:
        raise OrderNotCancellable(
            "This order is paid, so it cannot be cancelled: issue a credit note for what the customer "
            "gets back, and terminate its service."
        )
    mailer = Mailer(shop)
    if not _cancel(shop, [found[:-2]], now, mailer, actor, reason=reason):
        raise OrderNotCancellable("This order was paid a moment ago, so it stands; nothing was changed.")
    mailer.flush()


def _cancel(
    shop: ShopLike, found: list, now: datetime, mailer: Mailer, actor: str, days: int = 0, reason: str = ""
) -> set[int]:
    """Cancel the invoices found (and their orders) still unpaid, give back the account credit they held,
    and email each customer once, saying why: unpaid for ``days`` days, or the shop's ``reason``; return
    the invoices cancelled."""
    cancelled = dict(
        db.session.execute(
            update(Invoice)
            .where(Invoice.id.in_([row[0] for row in found]), Invoice.status == InvoiceStatus.ISSUED)
            .values(status=InvoiceStatus.CANCELLED)
            .returning(Invoice.id, Invoice.order_id),
            execution_options={"synchronize_session": False},
        ).all()
    )
    if cancelled:
        db.session.execute(
            update(Order)
            .where(Order.id.in_(list(cancelled.values())), Order.status == OrderStatus.PENDING_PAYMENT)
            .values(status=OrderStatus.CANCELLED),
            execution_options={"synchronize_session": False},
        )
    noticed = claim_invoice_notices(shop.id, list(cancelled), "order_cancelled", now)
    for (
        invoice_id,
        number,
        total,
        currency,
        credit,
        order_number,
        placed_at,
        customer_id,
        name,
        email,
    ) in found:
        if invoice_id in cancelled and credit:
            _give_back_credit(shop, customer_id, number, credit, currency, actor)
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
                credit_minor=credit,
                days=days,
                reason=reason,
                plans_url=mailer.url("/plans"),
            )
    return set(cancelled)


def _give_back_credit(
    shop: ShopLike, customer_id: int, number: int, credit: int, currency: str, actor: str
) -> None:
    """Return to the customer the account credit a cancelled invoice held."""
    lock_customer(customer_id)
    add_credit_entry(
        shop.id,
        customer_id,
        currency,
        credit,
        CreditSource.INVOICE,
        f"Returned from {invoice_label(number)}: the order was cancelled",
        actor,
    )
