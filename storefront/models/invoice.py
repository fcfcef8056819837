"""Invoices: numbered per shop without gaps (models.numbering), and never changed once issued.

An invoice is for an order (``purpose`` order), for one period of a service (``purpose`` renewal,
with the period's first day and the next due date, both in the shop's time zone), or for moving a
service to a dearer plan for the rest of its paid period (``purpose`` plan_change, with the day the
change was priced, the due date, and the plan and recurring price it moves to).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TenantScoped, UTCDateTime, value_enum
from .issued import guard_issued
from .numbering import ShopNumbered


class InvoiceStatus(enum.StrEnum):
    """Whether an invoice is owed or settled."""

    ISSUED = "issued"
    PAID = "paid"
    CANCELLED = "cancelled"  # an unpaid invoice of a cancelled order; never a paid one


class InvoicePurpose(enum.StrEnum):
    """What an invoice bills: a new order, a service's next period, or an upgrade's prorated difference."""

    ORDER = "order"
    RENEWAL = "renewal"
    PLAN_CHANGE = "plan_change"


class Invoice(ShopNumbered, db.Model):
    """What a customer owes for an order or a service's renewal, as issued; seller and buyer are copied in."""

    __table_args__ = (
        UniqueConstraint("reseller_id", "number"),
        UniqueConstraint("order_id"),
        CheckConstraint("total_minor >= 0", "total_not_negative"),
        CheckConstraint("number > 0", "number_positive"),
        CheckConstraint(
            "credit_applied_minor >= 0 AND credit_applied_minor <= total_minor", "credit_applied_within_total"
        ),
        CheckConstraint(
            "(purpose = 'order' AND order_id IS NOT NULL) OR (purpose = 'renewal' AND service_id IS NOT NULL"
            " AND period_start IS NOT NULL AND period_end IS NOT NULL) OR (purpose = 'plan_change'"
            " AND service_id IS NOT NULL AND period_start IS NOT NULL AND period_end IS NOT NULL"
            " AND target_plan_id IS NOT NULL AND target_recurring_minor IS NOT NULL)",
            "purpose_has_subject",
        ),
        CheckConstraint("target_recurring_minor >= 0", "target_recurring_not_negative"),
        # One open plan change per service, however often the customer clicks.
        Index(
            "uq_invoice_open_plan_change",
            "service_id",
            unique=True,
            sqlite_where=text("purpose = 'plan_change' AND status = 'issued'"),
            postgresql_where=text("purpose = 'plan_change' AND status = 'issued'"),
        ),
        # One renewal invoice per service and period, however many billing runs overlap (a cancelled
        # one, of a service that was to end at its term, makes way for the next if it renews after all).
        Index(
            "uq_invoice_renewal_period",
            "service_id",
            "period_start",
            unique=True,
            sqlite_where=text("purpose = 'renewal' AND status <> 'cancelled'"),
            postgresql_where=text("purpose = 'renewal' AND status <> 'cancelled'"),
        ),
        # The console home's unpaid invoices: counted and summed from the index alone.
        Index(
            "ix_invoice_reseller_status",
            "reseller_id",
            "status",
            "currency",
            "total_minor",
            "credit_applied_minor",
        ),
    )

    NUMBER_SEQUENCE = "invoice"

    # The buyer's personal data on the invoice, reduced (never removed) by the retention purge.
    PERSONAL_FIELDS = frozenset({"buyer_name", "buyer_email", "anonymised_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[InvoicePurpose] = mapped_column(
        value_enum(InvoicePurpose, 16), default=InvoicePurpose.ORDER, server_default="order"
    )
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id", ondelete="RESTRICT"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="RESTRICT"))
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    # A plan change: the plan and the recurring price the service moves to once the invoice is paid.
    target_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="RESTRICT"))
    target_recurring_minor: Mapped[int | None]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"), index=True)
    status: Mapped[InvoiceStatus] = mapped_column(
        value_enum(InvoiceStatus, 16),
        default=InvoiceStatus.ISSUED,
    )
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int]
    seller_name: Mapped[str] = mapped_column(String(160))
    seller_address: Mapped[str] = mapped_column(Text)
    buyer_name: Mapped[str] = mapped_column(String(120))
    buyer_email: Mapped[str] = mapped_column(String(254))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_gateway: Mapped[str | None] = mapped_column(String(32))
    payment_reference: Mapped[str | None] = mapped_column(String(120))
    # The part of the total the customer's account credit paid; every way to pay charges the rest.
    credit_applied_minor: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set when retention passed: the buyer's name and email are reduced, the rest stays as issued.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )

    # What may still change after issue: settlement only.
    SETTLEMENT_FIELDS = frozenset(
        {"status", "paid_at", "payment_gateway", "payment_reference", "credit_applied_minor"}
    )

    @property
    def amount_due_minor(self) -> int:
        """What is still to pay: the total less the account credit applied to it."""
        return self.total_minor - (self.credit_applied_minor or 0)


class InvoiceLine(TenantScoped, db.Model):
    """One line of an issued invoice."""

    __table_args__ = (CheckConstraint("amount_minor >= 0", "amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(400))
    amount_minor: Mapped[int]

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class IssuedInvoiceChanged(RuntimeError):
    """Something tried to change an issued invoice beyond recording its payment."""


guard_issued(Invoice, InvoiceLine, IssuedInvoiceChanged, "invoice", "invoice_id")
