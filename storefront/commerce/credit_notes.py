"""Credit notes: correcting a paid invoice without changing it, and what the credited money becomes.

A credit note reverses whole lines of one paid invoice or part of their amounts, never more of a
line than earlier credit notes left of it. Issuing takes the customer's lock and then the invoice's
(the order ``account_credit`` takes them in), so two notes issued at once on one invoice are
checked one after the other; the form's key makes a second click return the first note. The
money becomes account credit at once, or a refund to make until the team records it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..branding.shops import ShopLike
from ..extensions import db
from ..models import (
    CreditNote,
    CreditNoteLine,
    CreditOutcome,
    CreditSource,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    RefundMethod,
    Reseller,
    utcnow,
)
from ..money import format_money
from .account_credit import CreditError, add_credit_entry, clean_reason, lock_customer
from .payments import ACCOUNT_CREDIT
from .refunds import RefundClosed, RefundError

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
OUTCOME_LABELS = {CreditOutcome.ACCOUNT_CREDIT: "Account credit", CreditOutcome.REFUND: "Refund to make"}
METHOD_LABELS = {RefundMethod.BANK_TRANSFER: "Bank transfer", RefundMethod.GATEWAY: "Card gateway"}


def credit_note_label(number: int) -> str:
    """Return a credit note's number as printed, for example ``CN-000042``."""
    return f"CN-{number:06d}"


class CreditNoteError(CreditError):
    """A credit note that cannot be issued; ``line_errors`` maps line positions to messages (a 400)."""

    def __init__(self, message: str, line_errors: dict[int, str] | None = None) -> None:
        super().__init__(message)
        self.line_errors = line_errors or {}


@dataclass(frozen=True)
class CreditableLine:
    """An invoice line with what earlier credit notes reversed of it."""

    line: InvoiceLine
    credited_minor: int

    @property
    def left_minor(self) -> int:
        """What may still be credited of the line."""
        return self.line.amount_minor - self.credited_minor


def creditable_lines(invoice: Invoice) -> list[CreditableLine]:
    """Return the invoice's lines, each with the amount already credited, in two queries."""
    credited = dict(
        db.session.execute(
            select(CreditNoteLine.invoice_line_id, func.sum(CreditNoteLine.amount_minor))
            .join(InvoiceLine, InvoiceLine.id == CreditNoteLine.invoice_line_id)
            .where(InvoiceLine.invoice_id == invoice.id, CreditNoteLine.reseller_id == invoice.reseller_id)
            .group_by(CreditNoteLine.invoice_line_id)
        ).all()
    )
    lines = db.session.scalars(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id).order_by(InvoiceLine.position)
    )
    return [CreditableLine(line, credited.get(line.id, 0)) for line in lines]


@dataclass(frozen=True)
class CreditRequest:
    """What the team asked to credit: amounts by invoice line position, the reason and the outcome."""

    amounts: dict[int, int]  # line position → minor units
    reason: str
    outcome: str
    idempotency_key: str
    line_errors: dict[int, str] = field(default_factory=dict)


def _outcome(raw: str) -> CreditOutcome:
    try:
        return CreditOutcome(raw)
    except ValueError:
        raise CreditNoteError("Choose what the credit becomes: account credit or a refund.") from None


def _check_lines(lines: list[CreditableLine], amounts: dict[int, int], currency: str) -> list[tuple]:
    by_position = {item.line.position: item for item in lines}
    errors, chosen = {}, []
    for position, amount in sorted(amounts.items()):
        item = by_position.get(position)
        if item is None:
            raise CreditNoteError("That line is not on this invoice; nothing was credited.")
        if amount > item.left_minor:
            left = format_money(item.left_minor, currency)
            errors[position] = f"Only {left} of this line is left to credit."
        chosen.append((item.line, amount))
    if errors:
        raise CreditNoteError("You cannot credit more than is left of a line; nothing was credited.", errors)
    if not chosen:
        raise CreditNoteError("Enter the amount to credit on at least one line.")
    return chosen


def _by_key(shop: ShopLike, key: str) -> CreditNote | None:
    return db.session.scalar(
        select(CreditNote).where(CreditNote.reseller_id == shop.id, CreditNote.idempotency_key == key)
    )


def _lock_invoice(invoice: Invoice) -> Invoice:
    return db.session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def issue_credit_note(
    shop: ShopLike, invoice: Invoice, request: CreditRequest, issued_by: str, now: datetime | None = None
) -> tuple[CreditNote, bool]:
    """Issue a credit note against a paid invoice; return it and whether this call issued it (the same
    form's key sent again returns the note it issued, and False).

    The caller audits a new note and commits; a refusal raises ``CreditNoteError`` and writes nothing.
    """
    if request.line_errors:
        raise CreditNoteError("Please check the amounts below; nothing was credited.", request.line_errors)
    if not IDEMPOTENCY_KEY.fullmatch(request.idempotency_key or ""):
        raise CreditNoteError("This form has expired. Please open the order again and retry.")
    if (found := _by_key(shop, request.idempotency_key)) is not None:
        return _same_invoice(found, invoice), False
    outcome = _outcome(request.outcome)
    try:
        reason = clean_reason(request.reason)
    except CreditError as error:
        raise CreditNoteError(str(error)) from None
    customer = lock_customer(invoice.customer_id)
    locked = _lock_invoice(invoice)
    if (found := _by_key(shop, request.idempotency_key)) is not None:  # the other click won the lock
        return _same_invoice(found, invoice), False
    if locked.status != InvoiceStatus.PAID:
        raise CreditNoteError("Only a paid invoice can be credited: cancel an unpaid one instead.")
    chosen = _check_lines(creditable_lines(locked), request.amounts, locked.currency)
    if outcome == CreditOutcome.REFUND:
        _refuse_refund_beyond_money_paid(locked, sum(amount for _, amount in chosen))
    note = _new_note(shop, locked, customer, chosen, reason, outcome, issued_by, request.idempotency_key, now)
    db.session.add(note)
    try:
        db.session.flush()
    except IntegrityError:  # the same form sent twice at once: the other one issued it
        db.session.rollback()
        return _same_invoice(_by_key(shop, request.idempotency_key), invoice), False
    if outcome == CreditOutcome.ACCOUNT_CREDIT:
        add_credit_entry(
            shop.id,
            customer.id,
            note.currency,
            note.total_minor,
            CreditSource.CREDIT_NOTE,
            f"Credit note {credit_note_label(note.number)}",
            issued_by,
            now=note.issued_at,
            credit_note_id=note.id,
        )
    return note, True


def _refuse_refund_beyond_money_paid(invoice: Invoice, asked_minor: int) -> None:
    """Only money the customer paid goes back as money: what account credit paid goes back as credit."""
    paid = (
        0
        if invoice.payment_gateway == ACCOUNT_CREDIT.code
        else invoice.total_minor - invoice.credit_applied_minor
    )
    refunded = db.session.scalar(
        select(func.coalesce(func.sum(CreditNote.total_minor), 0)).where(
            CreditNote.invoice_id == invoice.id, CreditNote.outcome == CreditOutcome.REFUND
        )
    )
    left = max(paid - refunded, 0)
    if asked_minor > left:
        raise CreditNoteError(
            f"Only {format_money(left, invoice.currency)} of this invoice can still go back as a refund: "
            "the rest was paid from account credit, or is refunded already. Give it as account credit."
        )


def _same_invoice(found: CreditNote | None, invoice: Invoice) -> CreditNote:
    if found is None or found.invoice_id != invoice.id:
        raise CreditNoteError("This form has expired. Please open the order again and retry.")
    return found


def _new_note(
    shop: ShopLike,
    invoice: Invoice,
    customer: Customer,
    chosen: list[tuple[InvoiceLine, int]],
    reason: str,
    outcome: CreditOutcome,
    issued_by: str,
    key: str,
    now: datetime | None,
) -> CreditNote:
    seller = db.session.get(Reseller, shop.id)
    note = CreditNote(
        reseller_id=shop.id,
        invoice_id=invoice.id,
        customer_id=customer.id,
        currency=invoice.currency,
        total_minor=sum(amount for _, amount in chosen),
        reason=reason,
        outcome=outcome,
        issued_by=issued_by[:160],
        issued_at=now or utcnow(),
        idempotency_key=key,
        seller_name=seller.legal_name,
        seller_address=seller.postal_address,
        buyer_name=customer.name,
        buyer_email=customer.email,
    )
    note.lines = [
        CreditNoteLine(
            reseller_id=shop.id,
            invoice_line_id=line.id,
            position=index,
            description=line.description,
            amount_minor=amount,
        )
        for index, (line, amount) in enumerate(chosen, start=1)
    ]
    return note


def record_credit_refund(
    note: CreditNote, method: str, raw_reference: str, by: str, now: datetime | None = None
) -> None:
    """Record that a credit note's money went back, how and with which reference, once; the caller
    audits and commits."""
    if note.outcome != CreditOutcome.REFUND:
        raise RefundError("This credit note was given as account credit: there is no refund to record.")
    try:
        chosen = RefundMethod(method)
    except ValueError:
        raise RefundError("Choose how the money went back: bank transfer or card gateway.") from None
    reference = " ".join((raw_reference or "").split())
    if not 3 <= len(reference) <= 120:
        raise RefundError("Please enter the reference of the refund (3 to 120 characters).")
    if not reference.isprintable():
        raise RefundError("Remove the invisible control characters from the reference.")
    done = db.session.execute(
        update(CreditNote)
        .where(
            CreditNote.id == note.id,
            CreditNote.outcome == CreditOutcome.REFUND,
            CreditNote.refunded_at.is_(None),
        )
        .values(
            refunded_at=now or utcnow(),
            refund_method=chosen,
            refund_reference=reference,
            refunded_by=by[:160],
        )
        .execution_options(synchronize_session="fetch")
    )
    if done.rowcount != 1:
        raise RefundClosed("This refund was already recorded; nothing was changed.")
