"""Recording payments against invoices, through a small gateway interface."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from blinker import Namespace
from flask import current_app
from sqlalchemy import select

from ..branding.white_label import WhiteLabelError, check_white_label
from ..extensions import db
from ..models import Invoice, InvoiceStatus, Order, OrderStatus, Payment, utcnow

_signals = Namespace()

invoice_paid = _signals.signal("invoice-paid")
"""Sent with an invoice just marked paid, before the payment commits: what a payment sets off is
decided by whoever listens (``fulfilment``), in the same transaction, so both commit or neither."""


class PaymentRefused(ValueError):
    """The payment does not match the invoice; nothing was recorded."""


class InvoiceClosed(PaymentRefused):
    """The invoice takes no payment: it is settled, or its order cancelled (a step out of order: 409)."""


@dataclass(frozen=True)
class Gateway:
    """A way to pay: its code and its label for customers."""

    code: str
    label: str


BANK_TRANSFER = Gateway("bank_transfer", "Bank transfer")
SANDBOX_CARD = Gateway("sandbox_card", "Card (test payments)")
# Never offered to pick: ``account_credit.apply_account_credit`` pays through it.
ACCOUNT_CREDIT = Gateway("account_credit", "Account credit")
GATEWAY_LABELS = {gateway.code: gateway.label for gateway in (BANK_TRANSFER, SANDBOX_CARD, ACCOUNT_CREDIT)}


def enabled_gateways() -> dict[str, Gateway]:
    """Return the ways to pay this deployment offers; the sandbox card only where switched on."""
    gateways = [BANK_TRANSFER]
    if current_app.config["SANDBOX_GATEWAY_ENABLED"]:
        gateways.append(SANDBOX_CARD)
    return {gateway.code: gateway for gateway in gateways}


def record_payment(
    invoice: Invoice,
    gateway: Gateway,
    reference: str,
    amount_minor: int,
    currency: str,
    recorded_by: str,
    *,
    commit: bool = True,
    now: datetime | None = None,
) -> Payment:
    """Settle an invoice and set off what it pays for in one transaction; mismatches change nothing.

    The amount must be what is due: the total less any account credit already applied to it. ``now`` is
    when the money arrived (the current time unless given).
    """
    # FOR NO KEY UPDATE: rows written meanwhile that refer to the invoice (a billing notice, a
    # service's history) only take a key-share lock on it, and must not wait on the payment.
    locked = db.session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    cancelled = locked.status == InvoiceStatus.CANCELLED or (
        locked.order_id is not None and db.session.get(Order, locked.order_id).status == OrderStatus.CANCELLED
    )
    if cancelled:
        raise InvoiceClosed("This order is cancelled, so its invoice cannot be paid.")
    if locked.status != InvoiceStatus.ISSUED:
        raise InvoiceClosed(f"Invoice {locked.number} is already paid.")
    if amount_minor != locked.amount_due_minor or currency != locked.currency:
        raise PaymentRefused("The amount or currency does not match the invoice.")
    payment = Payment(
        reseller_id=locked.reseller_id,
        invoice_id=locked.id,
        gateway=gateway.code,
        reference=reference,
        amount_minor=amount_minor,
        currency=currency,
        recorded_by=recorded_by,
        created_at=now or utcnow(),
    )
    db.session.add(payment)
    locked.status, locked.paid_at = InvoiceStatus.PAID, payment.created_at
    locked.payment_gateway, locked.payment_reference = gateway.code, reference
    db.session.flush()
    invoice_paid.send(locked)
    if commit:
        db.session.commit()
    return payment


def mark_bank_transfer_paid(
    invoice: Invoice,
    bank_reference: str,
    recorded_by: str,
    *,
    commit: bool = True,
    now: datetime | None = None,
) -> Payment:
    """Record a bank transfer someone has seen arrive, by its bank reference."""
    reference = " ".join(bank_reference.split())
    if not 3 <= len(reference) <= 120:
        raise PaymentRefused("Please enter the bank's reference for the transfer (3 to 120 characters).")
    if not reference.isprintable():
        raise PaymentRefused("Remove the invisible control characters from the bank's reference.")
    try:
        check_white_label(reference)  # the customer reads it on the invoice
    except WhiteLabelError as error:
        raise PaymentRefused(str(error)) from None
    return record_payment(
        invoice,
        BANK_TRANSFER,
        reference,
        invoice.amount_due_minor,
        invoice.currency,
        recorded_by,
        commit=commit,
        now=now,
    )
