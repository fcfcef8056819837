"""Billing notices: each email the billing run sends about an invoice or a service, recorded once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import TenantScoped, UTCDateTime, utcnow


class BillingNotice(TenantScoped, db.Model):
    """One notice (``reminder_-7``, ``due_0``, ``overdue_3``, ``suspended``, ``termination_warning``,
    ``terminated``, ``order_cancelled``, ``price_change``…) about an invoice, or about a service on a
    date, written in the transaction that queues its email: inserting it claims the email, so each
    goes once however many runs overlap."""

    __table_args__ = (
        CheckConstraint(
            "invoice_id IS NOT NULL OR (service_id IS NOT NULL AND on_date IS NOT NULL)", "subject"
        ),
        Index(
            "uq_billing_notice_invoice_trigger",
            "invoice_id",
            "trigger",
            unique=True,
            sqlite_where=text("invoice_id IS NOT NULL"),
            postgresql_where=text("invoice_id IS NOT NULL"),
        ),
        Index(
            "uq_billing_notice_service_trigger_date",
            "service_id",
            "trigger",
            "on_date",
            unique=True,
            sqlite_where=text("invoice_id IS NULL"),
            postgresql_where=text("invoice_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    on_date: Mapped[date | None]
    trigger: Mapped[str] = mapped_column(String(40))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
