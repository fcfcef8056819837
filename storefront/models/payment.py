"""Payments received, every gateway event seen (each stored once), and money to give back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import TenantScoped, Timestamped, UTCDateTime


class Payment(TenantScoped, Timestamped, db.Model):
    """Money received against an invoice."""

    __table_args__ = (
        UniqueConstraint("invoice_id"),
        CheckConstraint("amount_minor > 0", "amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"))
    gateway: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(120))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    recorded_by: Mapped[str] = mapped_column(String(160))


class PaymentEvent(Timestamped, db.Model):
    """A gateway callback, kept once per event id whatever it said."""

    __table_args__ = (UniqueConstraint("gateway", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(120))
    reseller_id: Mapped[int | None] = mapped_column(ForeignKey("reseller.id", ondelete="SET NULL"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(200))


class RefundDue(TenantScoped, Timestamped, db.Model):
    """A charge a gateway took that no invoice accepted (a second charge on a paid invoice, a wrong
    amount), or a payment that bought nothing (a renewal paid after its service was terminated):
    money the shop owes back until someone records the refund with its reference.

    ``event_id`` is the gateway event that brought the money; it is empty when the refund was found
    due by something else than a gateway's callback (a bank transfer staff confirmed, a renewal).
    """

    __table_args__ = (
        UniqueConstraint("gateway", "event_id"),
        CheckConstraint("amount_minor > 0", "amount_positive"),
        CheckConstraint("refunded_at IS NULL OR credited_at IS NULL", "refunded_or_credited"),
        # Without a gateway event, an invoice owes at most one refund.
        Index(
            "uq_refund_due_invoice_without_event",
            "invoice_id",
            unique=True,
            sqlite_where=text("event_id IS NULL"),
            postgresql_where=text("event_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), index=True)
    gateway: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str | None] = mapped_column(String(120))
    charge_reference: Mapped[str] = mapped_column(String(120))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(200))
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_reference: Mapped[str | None] = mapped_column(String(120))
    refunded_by: Mapped[str | None] = mapped_column(String(160))  # staff:<email>, team:<id>
    # Set instead of the refund when the money was given to the customer as account credit.
    credited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def settled(self) -> bool:
        """True once the money went back, as a refund or as account credit."""
        return self.refunded_at is not None or self.credited_at is not None
