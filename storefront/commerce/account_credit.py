"""Account credit: money a shop holds for a customer, and paying invoices from it first.

The ledger (``models.account_credit``) only grows. Every entry is written while the customer's row
is locked (``FOR NO KEY UPDATE`` on PostgreSQL; SQLite lets one writer in at a time), so two changes at
once read the balance one after the other and it never drops below zero. Credit comes from credit
notes, from overpayments the team gives as credit, and from manual adjustments; it goes to invoices
through ``apply_account_credit``, which every newly issued invoice passes through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from ..branding.shops import ShopLike
from ..branding.white_label import WhiteLabelError, check_white_label
from ..catalog.pricing import PriceError, parse_money
from ..extensions import db
from ..models import (
    AccountCreditEntry,
    CreditSource,
    Customer,
    Invoice,
    InvoiceStatus,
    Order,
    OrderStatus,
    RefundDue,
    utcnow,
)
from ..money import format_money
from .invoices import invoice_label
from .payments import ACCOUNT_CREDIT, record_payment
from .refunds import RefundClosed

REASON_RULE = "Please give a reason the customer can read (3 to 300 characters)."
MAX_ADJUSTMENT_UNITS = 1_000_000  # whole currency units: a typing slip, not a credit, beyond this
LEDGER_SHOWN = 50


class CreditError(ValueError):
    """A change to account credit that cannot be made; the message says why (a 400)."""


def lock_customer(customer_id: int) -> Customer:
    """Lock the customer's row until the transaction ends: every change to their credit takes it first.

    ``FOR NO KEY UPDATE``: changes to credit wait for each other, while rows that merely refer to
    the customer (a new order, a ticket) are still written meanwhile.
    """
    return db.session.scalar(
        select(Customer)
        .where(Customer.id == customer_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


def credit_balance(reseller_id: int, customer_id: int, currency: str) -> int:
    """Return the customer's account credit in one currency: the sum of the ledger's entries."""
    return db.session.scalar(
        select(func.coalesce(func.sum(AccountCreditEntry.amount_minor), 0)).where(
            AccountCreditEntry.reseller_id == reseller_id,
            AccountCreditEntry.customer_id == customer_id,
            AccountCreditEntry.currency == currency,
        )
    )


def credit_balances(reseller_id: int, customer_id: int) -> list[tuple[str, int]]:
    """Return the customer's account credit per currency (only currencies with credit), in one query."""
    rows = db.session.execute(
        select(AccountCreditEntry.currency, func.sum(AccountCreditEntry.amount_minor))
        .where(AccountCreditEntry.reseller_id == reseller_id, AccountCreditEntry.customer_id == customer_id)
        .group_by(AccountCreditEntry.currency)
        .order_by(AccountCreditEntry.currency)
    )
    return [(currency, amount) for currency, amount in rows if amount]


def credit_ledger(reseller_id: int, customer_id: int, limit: int = LEDGER_SHOWN) -> list[AccountCreditEntry]:
    """Return the customer's latest entries of account credit, newest first."""
    return list(
        db.session.scalars(
            select(AccountCreditEntry)
            .where(
                AccountCreditEntry.reseller_id == reseller_id, AccountCreditEntry.customer_id == customer_id
            )
            .order_by(AccountCreditEntry.id.desc())
            .limit(limit)
        )
    )


def add_credit_entry(
    reseller_id: int,
    customer_id: int,
    currency: str,
    amount_minor: int,
    source: CreditSource,
    reason: str,
    recorded_by: str,
    now: datetime | None = None,
    **links: int,
) -> AccountCreditEntry:
    """Append an entry to the ledger; the caller holds the customer's lock (``lock_customer``)."""
    balance = credit_balance(reseller_id, customer_id, currency) + amount_minor
    if balance < 0:
        have = format_money(balance - amount_minor, currency)
        raise CreditError(
            f"The customer has only {have} of account credit; the balance cannot go below zero."
        )
    entry = AccountCreditEntry(
        reseller_id=reseller_id,
        customer_id=customer_id,
        currency=currency,
        amount_minor=amount_minor,
        balance_after_minor=balance,
        source=source,
        reason=reason[:300],
        recorded_by=recorded_by[:160],
        created_at=now or utcnow(),
        **links,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def clean_reason(raw: str | None) -> str:
    """Return a reason as it is kept: spaces folded, checked for length and the white-label guard."""
    reason = " ".join((raw or "").split())
    if not 3 <= len(reason) <= 300:
        raise CreditError(REASON_RULE)
    if not reason.isprintable():
        raise CreditError("Remove the invisible control characters from the reason.")
    try:
        check_white_label(reason)  # the customer reads it
    except WhiteLabelError as error:
        raise CreditError(str(error)) from None
    return reason


def parse_amount(raw: str | None, currency: str) -> int:
    """Return the minor units of an amount typed in the currency (``12.90``), more than zero."""
    try:
        amount = parse_money(raw or "", currency)
    except PriceError:
        raise CreditError("Please enter the amount as a number, for example 12.90.") from None
    if amount <= 0:
        raise CreditError("Please enter an amount more than zero.")
    return amount


@dataclass(frozen=True)
class Adjustment:
    """A manual change to a customer's credit as the team typed it."""

    direction: str  # "add" or "take"
    amount: str
    reason: str


def adjust_account_credit(
    shop: ShopLike, customer: Customer, adjustment: Adjustment, recorded_by: str
) -> AccountCreditEntry:
    """Add to or take from the customer's credit by hand, with a reason; the caller audits and commits."""
    if adjustment.direction not in ("add", "take"):
        raise CreditError("Choose whether to add credit or take it away.")
    amount = parse_amount(adjustment.amount, shop.currency)
    if amount > MAX_ADJUSTMENT_UNITS * 100:
        raise CreditError(
            f"An adjustment can be at most {format_money(MAX_ADJUSTMENT_UNITS * 100, shop.currency)}."
        )
    reason = clean_reason(adjustment.reason)
    lock_customer(customer.id)
    signed = amount if adjustment.direction == "add" else -amount
    return add_credit_entry(
        shop.id, customer.id, shop.currency, signed, CreditSource.ADJUSTMENT, reason, recorded_by
    )


def customers_with_credit(reseller_id: int, customer_ids: Iterable[int], currency: str) -> set[int]:
    """Return which of the customers hold account credit in a currency, in one query."""
    ids = set(customer_ids)
    if not ids:
        return set()
    rows = db.session.scalars(
        select(AccountCreditEntry.customer_id)
        .where(
            AccountCreditEntry.reseller_id == reseller_id,
            AccountCreditEntry.customer_id.in_(ids),
            AccountCreditEntry.currency == currency,
        )
        .group_by(AccountCreditEntry.customer_id)
        .having(func.sum(AccountCreditEntry.amount_minor) > 0)
    )
    return set(rows)


def apply_account_credit(
    invoice: Invoice, recorded_by: str = "account credit", now: datetime | None = None
) -> int:
    """Pay an issued invoice from the customer's account credit first; return the amount applied.

    When the credit covers what is due, the invoice is paid through the normal payment path
    (gateway ``account_credit``, so ``invoice_paid`` fires once); when it covers part, the part is
    recorded on the invoice and every way to pay then charges the rest. The caller commits.
    """
    lock_customer(invoice.customer_id)
    locked = db.session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if locked.status != InvoiceStatus.ISSUED or locked.amount_due_minor <= 0:
        return 0
    if locked.order_id is not None and db.session.get(Order, locked.order_id).status == OrderStatus.CANCELLED:
        return 0
    due = locked.amount_due_minor
    applied = min(credit_balance(locked.reseller_id, locked.customer_id, locked.currency), due)
    if applied <= 0:
        return 0
    add_credit_entry(
        locked.reseller_id,
        locked.customer_id,
        locked.currency,
        -applied,
        CreditSource.INVOICE,
        f"Applied to invoice {invoice_label(locked.number)}",
        recorded_by,
        now=now,
        invoice_id=locked.id,
    )
    if applied == due:
        record_payment(
            locked, ACCOUNT_CREDIT, "Account credit", due, locked.currency, recorded_by, commit=False, now=now
        )
    else:
        locked.credit_applied_minor += applied
        db.session.flush()
    return applied


def credit_refund_due(refund: RefundDue, recorded_by: str, now: datetime | None = None) -> AccountCreditEntry:
    """Give a refund to make to the customer as account credit instead, once; the caller audits, commits."""
    invoice = db.session.get(Invoice, refund.invoice_id)
    lock_customer(invoice.customer_id)
    done = db.session.execute(
        update(RefundDue)
        .where(RefundDue.id == refund.id, RefundDue.refunded_at.is_(None), RefundDue.credited_at.is_(None))
        .values(credited_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if done.rowcount != 1:
        raise RefundClosed("This money was already given back; nothing was changed.")
    return add_credit_entry(
        refund.reseller_id,
        invoice.customer_id,
        refund.currency,
        refund.amount_minor,
        CreditSource.OVERPAYMENT,
        f"Overpayment on invoice {invoice_label(invoice.number)}",
        recorded_by,
        refund_due_id=refund.id,
    )
