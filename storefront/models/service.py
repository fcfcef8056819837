"""What a customer gets: hosting services (a subscription with its history) and domain registrations
with their WHOIS contacts."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TenantScoped, Timestamped, UTCDateTime, utcnow, value_enum
from .catalog import CYCLE_TYPE, BillingCycle, Plan
from .numbering import ShopNumbered, unique_number


class ServiceStatus(enum.StrEnum):
    """Where a hosting service stands."""

    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"
    TERMINATED = "terminated"


class SuspensionReason(enum.StrEnum):
    """Why a service is suspended: only a suspension for non-payment is lifted by a payment."""

    OVERDUE = "overdue"
    STAFF = "staff"


SERVICE_STATUS_TYPE = value_enum(ServiceStatus, 16)


class Service(ShopNumbered, Timestamped, db.Model):
    """A hosting account bought through an order line, renewed cycle by cycle at its own price.

    ``next_due_on`` is a date in the shop's time zone; due dates keep ``anchor_day`` (the day of
    the month it was bought), clamped to shorter months.
    """

    __table_args__ = (
        UniqueConstraint("order_line_id"),
        unique_number("service"),
        CheckConstraint("anchor_day BETWEEN 1 AND 31", "anchor_day_range"),
        CheckConstraint("recurring_minor >= 0", "recurring_not_negative"),
        CheckConstraint("new_recurring_minor >= 0", "new_recurring_not_negative"),
        CheckConstraint("(new_recurring_minor IS NULL) = (new_price_from IS NULL)", "price_change_has_date"),
        CheckConstraint("(status = 'suspended') = (suspension_reason IS NOT NULL)", "suspended_has_reason"),
        # The billing run's look-ups: the services of a shop in a state, by due date.
        Index("ix_service_reseller_status_due", "reseller_id", "status", "next_due_on"),
    )
    NUMBER_SEQUENCE = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id", ondelete="RESTRICT"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="RESTRICT"))
    cycle: Mapped[BillingCycle] = mapped_column(CYCLE_TYPE)
    domain: Mapped[str] = mapped_column(String(253))
    status: Mapped[ServiceStatus] = mapped_column(SERVICE_STATUS_TYPE, default=ServiceStatus.PENDING)
    server: Mapped[str | None] = mapped_column(String(120))
    username: Mapped[str | None] = mapped_column(String(64))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    next_due_on: Mapped[date | None]
    anchor_day: Mapped[int | None]
    recurring_minor: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    auto_renew: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    suspension_reason: Mapped[SuspensionReason | None] = mapped_column(value_enum(SuspensionReason, 16))
    # The customer asked to stop at the end of the term: no renewal, cancelled on the due date.
    ends_at_term: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    end_reason: Mapped[str | None] = mapped_column(String(300))
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A change of billing cycle, applied from the next renewal.
    next_cycle: Mapped[BillingCycle | None] = mapped_column(CYCLE_TYPE)
    # A price change announced to the customer at least 30 days before it applies.
    new_recurring_minor: Mapped[int | None]
    new_price_from: Mapped[date | None]
    # The start of the latest period a renewal invoice was issued for: the run's claim on a period.
    invoiced_through: Mapped[date | None]

    plan: Mapped[Plan] = relationship()


class ServiceEvent(TenantScoped, db.Model):
    """One change in a service's life: who (``system``, ``customer:<id>``, ``team:<id>``,
    ``staff:<email>``), when, what, why, and the status before and after."""

    __table_args__ = (
        # A renewal invoice extends its service once, whichever path pays it.
        Index(
            "uq_service_event_renewed_invoice",
            "invoice_id",
            unique=True,
            sqlite_where=text("what = 'renewed'"),
            postgresql_where=text("what = 'renewed'"),
        ),
        # A paid plan-change invoice moves its service to the new plan once, whichever path pays it.
        Index(
            "uq_service_event_plan_changed_invoice",
            "invoice_id",
            unique=True,
            sqlite_where=text("what = 'plan_changed'"),
            postgresql_where=text("what = 'plan_changed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(160))
    what: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[ServiceStatus | None] = mapped_column(SERVICE_STATUS_TYPE)
    to_status: Mapped[ServiceStatus | None] = mapped_column(SERVICE_STATUS_TYPE)
    reason: Mapped[str] = mapped_column(String(300), default="")
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="SET NULL"))


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
