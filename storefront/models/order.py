"""Orders: what a customer buys, priced by the server from the shop's catalogue."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TenantScoped, Timestamped, UTCDateTime, value_enum
from .catalog import CYCLE_TYPE, BillingCycle
from .numbering import ShopNumbered, unique_number


class OrderStatus(enum.StrEnum):
    """Where an order stands."""

    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    CANCELLED = "cancelled"


class LineKind(enum.StrEnum):
    """What an order line buys."""

    HOSTING = "hosting"
    DOMAIN_REGISTRATION = "domain_registration"


class DomainChoice(enum.StrEnum):
    """How the hosting gets its domain."""

    REGISTER = "register"
    EXISTING = "existing"


class Order(ShopNumbered, Timestamped, db.Model):
    """A customer's purchase; one checkout makes exactly one."""

    __table_args__ = (
        UniqueConstraint("reseller_id", "idempotency_key"),
        UniqueConstraint("id", "reseller_id"),
        unique_number("order"),
        CheckConstraint("total_minor >= 0", "total_not_negative"),
        # A customer's orders within the shop: the console counts them per customer.
        Index("ix_order_reseller_customer", "reseller_id", "customer_id"),
    )

    NUMBER_SEQUENCE = "order"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"), index=True)
    status: Mapped[OrderStatus] = mapped_column(value_enum(OrderStatus), default=OrderStatus.PENDING_PAYMENT)
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int]
    idempotency_key: Mapped[str] = mapped_column(String(64))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )


class OrderLine(TenantScoped, db.Model):
    """One thing an order buys, with the retail and wholesale prices of the day."""

    __table_args__ = (
        CheckConstraint("amount_minor >= 0", "amount_not_negative"),
        CheckConstraint("wholesale_minor >= 0", "wholesale_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LineKind] = mapped_column(value_enum(LineKind))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="RESTRICT"))
    cycle: Mapped[BillingCycle | None] = mapped_column(CYCLE_TYPE)
    domain: Mapped[str] = mapped_column(String(253))
    domain_choice: Mapped[DomainChoice | None] = mapped_column(value_enum(DomainChoice, 16))
    description: Mapped[str] = mapped_column(String(400))
    amount_minor: Mapped[int]
    wholesale_minor: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="lines")
