"""What a customer gets: hosting services and domain registrations with their WHOIS contacts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TenantScoped, Timestamped, UTCDateTime, value_enum
from .catalog import CYCLE_TYPE, BillingCycle, Plan
from .numbering import ShopNumbered, unique_number


class ServiceStatus(enum.StrEnum):
    """Where a hosting service stands."""

    PENDING = "pending"
    ACTIVE = "active"


class Service(ShopNumbered, Timestamped, db.Model):
    """A hosting account bought through an order line."""

    __table_args__ = (
        UniqueConstraint("order_line_id"),
        unique_number("service"),
    )
    NUMBER_SEQUENCE = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id", ondelete="RESTRICT"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="RESTRICT"))
    cycle: Mapped[BillingCycle] = mapped_column(CYCLE_TYPE)
    domain: Mapped[str] = mapped_column(String(253))
    status: Mapped[ServiceStatus] = mapped_column(
        value_enum(ServiceStatus, 16),
        default=ServiceStatus.PENDING,
    )
    server: Mapped[str | None] = mapped_column(String(120))
    username: Mapped[str | None] = mapped_column(String(64))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    plan: Mapped[Plan] = relationship()


class DomainRegistration(TenantScoped, Timestamped, db.Model):
    """A domain to register, with the WHOIS contacts the registry will hold."""

    __table_args__ = (UniqueConstraint("order_line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id", ondelete="RESTRICT"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"), index=True)
    domain: Mapped[str] = mapped_column(String(253))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    registrant: Mapped[dict] = mapped_column(JSON)
    admin_contact: Mapped[dict] = mapped_column(JSON)
    tech_contact: Mapped[dict] = mapped_column(JSON)
    billing_contact: Mapped[dict] = mapped_column(JSON)
    zone_contact: Mapped[dict] = mapped_column(JSON)
    nameservers: Mapped[list[str]] = mapped_column(JSON)
