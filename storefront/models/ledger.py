"""The reseller's ledger with the platform: what each sale costs it at wholesale."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import TenantScoped, Timestamped


class LedgerEntry(TenantScoped, Timestamped, db.Model):
    """A wholesale charge for one paid order line (at the price of the order's day), or for one paid
    renewal invoice line (at the plan's price for the cycle on the day it was paid)."""

    __table_args__ = (
        UniqueConstraint("order_line_id"),
        UniqueConstraint("invoice_line_id"),
        CheckConstraint("amount_minor >= 0", "amount_not_negative"),
        CheckConstraint("order_line_id IS NOT NULL OR invoice_line_id IS NOT NULL", "charge_has_line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id", ondelete="RESTRICT"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_line.id", ondelete="RESTRICT"))
    invoice_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_line.id", ondelete="RESTRICT"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="RESTRICT"))
    description: Mapped[str] = mapped_column(String(400))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
