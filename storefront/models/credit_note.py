"""Credit notes: the correction of a paid invoice, which itself never changes.

A credit note is numbered per shop without gaps (models.numbering, sequence ``credit_note``),
reverses whole lines of one invoice or part of their amounts, and says what the money becomes:
account credit for the customer or a refund the shop makes. Seller and buyer are copied in at
issue, and after that only the record of the refund may change.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TenantScoped, UTCDateTime, value_enum
from .issued import guard_issued
from .numbering import ShopNumbered, unique_number


class CreditOutcome(enum.StrEnum):
    """What the credited money becomes."""

    ACCOUNT_CREDIT = "account_credit"
    REFUND = "refund"


class RefundMethod(enum.StrEnum):
    """How money went back to a customer."""

    BANK_TRANSFER = "bank_transfer"
    GATEWAY = "gateway"


class CreditNote(ShopNumbered, db.Model):
    """A credit against one paid invoice, as issued; seller and buyer are copied in like an invoice's."""

    __table_args__ = (
        unique_number("credit_note"),
        UniqueConstraint("reseller_id", "idempotency_key"),
        CheckConstraint("total_minor > 0", "total_positive"),
        CheckConstraint("(refunded_at IS NULL) OR (outcome = 'refund')", "refund_recorded_only_for_refunds"),
    )

    NUMBER_SEQUENCE = "credit_note"

    # The buyer's personal data, reduced (never removed) by the retention purge, as on invoices.
    PERSONAL_FIELDS = frozenset({"buyer_name", "buyer_email", "anonymised_at"})
    # What may still change after issue: the record of the refund made.
    SETTLEMENT_FIELDS = frozenset({"refunded_at", "refund_method", "refund_reference", "refunded_by"})

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int]
    reason: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[CreditOutcome] = mapped_column(value_enum(CreditOutcome, 16))
    issued_by: Mapped[str] = mapped_column(String(160))  # team:<id>, staff:<email>
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    seller_name: Mapped[str] = mapped_column(String(160))
    seller_address: Mapped[str] = mapped_column(Text)
    buyer_name: Mapped[str] = mapped_column(String(120))
    buyer_email: Mapped[str] = mapped_column(String(254))
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_method: Mapped[RefundMethod | None] = mapped_column(value_enum(RefundMethod, 16))
    refund_reference: Mapped[str | None] = mapped_column(String(120))
    refunded_by: Mapped[str | None] = mapped_column(String(160))
    # Set when retention passed: the buyer's name and email are reduced, the rest stays as issued.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[CreditNoteLine]] = relationship(
        back_populates="credit_note", cascade="all, delete-orphan", order_by="CreditNoteLine.position"
    )


class CreditNoteLine(TenantScoped, db.Model):
    """The part of one invoice line a credit note reverses."""

    __table_args__ = (
        UniqueConstraint("credit_note_id", "invoice_line_id"),
        CheckConstraint("amount_minor > 0", "amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_note.id", ondelete="CASCADE"), index=True)
    invoice_line_id: Mapped[int] = mapped_column(
        ForeignKey("invoice_line.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(400))
    amount_minor: Mapped[int]

    credit_note: Mapped[CreditNote] = relationship(back_populates="lines")


class IssuedCreditNoteChanged(RuntimeError):
    """Something tried to change an issued credit note beyond recording its refund."""


guard_issued(CreditNote, CreditNoteLine, IssuedCreditNoteChanged, "credit note", "credit_note_id")
