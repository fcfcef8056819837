"""Cancelling a service's unpaid invoices once they can no longer apply: renewals of a service that
ended, and plan changes overtaken by the next renewal or withdrawn by the customer.

An invoice is cancelled by a conditional UPDATE (``status = issued``), so a payment committed meanwhile
wins; account credit already applied to a cancelled invoice goes back to the customer's credit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update

from ..commerce.account_credit import add_credit_entry, lock_customer
from ..commerce.invoices import invoice_label
from ..extensions import db
from ..models import CreditSource, Invoice, InvoicePurpose, InvoiceStatus

SERVICE_PURPOSES = (InvoicePurpose.RENEWAL, InvoicePurpose.PLAN_CHANGE)


def cancel_open_invoices(
    service_ids: Iterable[int],
    why: str,
    recorded_by: str,
    purposes: tuple[InvoicePurpose, ...] = SERVICE_PURPOSES,
    now: datetime | None = None,
) -> list[tuple[int, int, int]]:
    """Cancel the services' unpaid invoices of ``purposes``; return (service id, invoice id, number) of
    each cancelled. Credit applied to one goes back to the customer's credit with ``why``."""
    ids = sorted(set(service_ids))
    if not ids:
        return []
    found = (
        db.session.execute(
            select(Invoice.id)
            .where(
                Invoice.service_id.in_(ids),
                Invoice.purpose.in_(purposes),
                Invoice.status == InvoiceStatus.ISSUED,
            )
            .order_by(Invoice.id)
            .with_for_update(key_share=True)
        )
        .scalars()
        .all()
    )
    if not found:
        return []
    cancelled = db.session.execute(
        update(Invoice)
        .where(Invoice.id.in_(found), Invoice.status == InvoiceStatus.ISSUED)
        .values(status=InvoiceStatus.CANCELLED)
        .returning(
            Invoice.service_id,
            Invoice.id,
            Invoice.number,
            Invoice.reseller_id,
            Invoice.customer_id,
            Invoice.currency,
            Invoice.credit_applied_minor,
        ),
        execution_options={"synchronize_session": False},
    ).all()
    for _service, invoice_id, number, reseller_id, customer_id, currency, credit in cancelled:
        if credit:
            lock_customer(customer_id)
            add_credit_entry(
                reseller_id,
                customer_id,
                currency,
                credit,
                CreditSource.INVOICE,
                f"Returned from {invoice_label(number)}, cancelled: {why}",
                recorded_by,
                now=now,
                invoice_id=invoice_id,
            )
    for invoice in db.session.identity_map.values():
        if isinstance(invoice, Invoice) and invoice.id in found:
            db.session.expire(invoice)
    return sorted((row[0], row[1], row[2]) for row in cancelled)
