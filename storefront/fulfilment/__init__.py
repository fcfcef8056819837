"""What a paid invoice sets off (services, wholesale charges, domain registrations, emails) and the
staff's provisioning queue.

The highest capability and the one place that decides what a payment starts: ``init_app``
subscribes ``fulfil_paid_invoice`` to commerce's ``invoice_paid`` signal, which commerce sends inside
the payment's transaction, so commerce never imports what it triggers. An order's invoice is fulfilled
here (``paid_orders``); a renewal invoice extends its service through ``billing.renewals``, and a
plan-change invoice moves its service to the new plan through ``billing.plan_change_payments``. Renewal
invoices the billing run issues are handed here too (``billing.renewal_invoices_issued``): account
credit pays them first, and a plan change still waiting for payment on their services is withdrawn.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import select

from ..billing.plan_change_payments import plan_change_paid, withdraw_overtaken_plan_changes
from ..billing.renewal_invoices import renewal_invoices_issued
from ..billing.renewals import renewal_paid
from ..commerce.account_credit import apply_account_credit, customers_with_credit
from ..commerce.payments import invoice_paid
from ..extensions import db
from ..models import Invoice, InvoicePurpose, Reseller
from .paid_orders import fulfil_paid_order


def fulfil_paid_invoice(invoice: Invoice) -> None:
    """Do what a paid invoice buys: an order's services and charges, a service's next period, or its
    move to another plan."""
    if invoice.purpose == InvoicePurpose.RENEWAL:
        renewal_paid(invoice)
    elif invoice.purpose == InvoicePurpose.PLAN_CHANGE:
        plan_change_paid(invoice)
    else:
        fulfil_paid_order(invoice)


def pay_renewals_from_credit(shop: Reseller, invoice_ids: list[int], now: datetime | None = None) -> None:
    """Pay newly issued renewal invoices from their customers' account credit, in the issuing
    transaction (at the run's time ``now``); only the invoices of customers holding credit are touched."""
    invoices = db.session.scalars(
        select(Invoice).where(Invoice.id.in_(invoice_ids)).order_by(Invoice.id)
    ).all()
    for currency in {invoice.currency for invoice in invoices}:
        customers = {invoice.customer_id for invoice in invoices if invoice.currency == currency}
        holding = customers_with_credit(shop.id, customers, currency)
        for invoice in invoices:
            if invoice.currency == currency and invoice.customer_id in holding:
                apply_account_credit(invoice, recorded_by="system", now=now)


def init_app(app: Flask) -> None:
    """Fulfil every paid invoice in the payment's own transaction; withdraw plan changes overtaken by new
    renewal invoices, then pay those from credit."""
    invoice_paid.connect(fulfil_paid_invoice, weak=False)
    renewal_invoices_issued.connect(withdraw_overtaken_plan_changes, weak=False)
    renewal_invoices_issued.connect(pay_renewals_from_credit, weak=False)
