"""The reseller aggregate: brand, support contacts, domains and private nameservers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .base import TenantScoped, Timestamped, UTCDateTime
from .numbering import ShopNumbered, unique_number

COLOUR_FIELDS = ("color_primary", "color_accent", "color_background", "color_text")


def _hex_colour_check(column: str) -> CheckConstraint:
    return CheckConstraint(f"length({column}) = 7 AND substr({column}, 1, 1) = '#'", column)


class Reseller(Timestamped, db.Model):
    """A tenant: owns a brand, domains, offers, customers and tickets."""

    __table_args__ = (
        CheckConstraint("slug = lower(slug) AND length(slug) BETWEEN 2 AND 40", "slug_form"),
        CheckConstraint("first_response_hours > 0", "first_response_positive"),
        CheckConstraint("follow_up_hours > 0", "follow_up_positive"),
        CheckConstraint("length(currency) = 3", "currency_code"),
        CheckConstraint("retain_closed_accounts_months BETWEEN 1 AND 120", "retain_accounts_range"),
        CheckConstraint("retain_closed_tickets_months BETWEEN 1 AND 120", "retain_tickets_range"),
        CheckConstraint("renewal_days_before BETWEEN 1 AND 60", "renewal_days_range"),
        CheckConstraint("suspend_after_days BETWEEN 1 AND 60", "suspend_after_range"),
        CheckConstraint("terminate_after_days BETWEEN 2 AND 365", "terminate_after_range"),
        CheckConstraint("terminate_after_days > suspend_after_days", "terminate_after_suspend"),
        CheckConstraint(
            "termination_warning_days BETWEEN 1 AND terminate_after_days - 1", "termination_warning_range"
        ),
        CheckConstraint("cancel_unpaid_after_days BETWEEN 1 AND 90", "cancel_unpaid_range"),
        *(_hex_colour_check(name) for name in COLOUR_FIELDS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped whenever anything a shop's public pages show changes; keys the page cache.
    revision: Mapped[int] = mapped_column(default=1)

    brand_name: Mapped[str] = mapped_column(String(80))
    legal_name: Mapped[str] = mapped_column(String(160))
    tagline: Mapped[str] = mapped_column(String(160), default="")
    postal_address: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[str] = mapped_column(String(40), default="default")
    color_primary: Mapped[str] = mapped_column(String(7), default="#1d4ed8")
    color_accent: Mapped[str] = mapped_column(String(7), default="#f59e0b")
    color_background: Mapped[str] = mapped_column(String(7), default="#ffffff")
    color_text: Mapped[str] = mapped_column(String(7), default="#111827")

    logo_etag: Mapped[str | None] = mapped_column(String(64))
    logo_mime: Mapped[str | None] = mapped_column(String(32))
    logo_image: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    favicon_ico: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    support_email: Mapped[str] = mapped_column(String(254))
    support_phone: Mapped[str] = mapped_column(String(40), default="")
    support_hours: Mapped[str] = mapped_column(String(120), default="")
    first_response_hours: Mapped[int] = mapped_column(default=8)
    follow_up_hours: Mapped[int] = mapped_column(default=24)
    escalation_persona: Mapped[str] = mapped_column(String(80), default="Escalations team")

    bank_name: Mapped[str] = mapped_column(String(120), default="")
    bank_account_name: Mapped[str] = mapped_column(String(160), default="")
    bank_account_number: Mapped[str] = mapped_column(String(40), default="")

    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Kuala_Lumpur")
    currency: Mapped[str] = mapped_column(String(3), default="MYR")

    # The current version of the shop's privacy notice; PrivacyNotice keeps every version.
    privacy_notice_version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    # How long closed accounts, and closed tickets, are kept before `privacy purge` anonymises them.
    retain_closed_accounts_months: Mapped[int] = mapped_column(default=24, server_default=text("24"))
    retain_closed_tickets_months: Mapped[int] = mapped_column(default=24, server_default=text("24"))

    # The billing run's schedule, in days of the shop's calendar (see storefront.billing.schedule).
    renewal_days_before: Mapped[int] = mapped_column(default=14, server_default=text("14"))
    # Reminders of an unpaid renewal invoice, in days from its due date (negative: before it).
    reminder_days: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: [-7, 0, 3, 7], server_default=text("'[-7, 0, 3, 7]'")
    )
    suspend_after_days: Mapped[int] = mapped_column(default=5, server_default=text("5"))
    termination_warning_days: Mapped[int] = mapped_column(default=7, server_default=text("7"))
    terminate_after_days: Mapped[int] = mapped_column(default=30, server_default=text("30"))
    cancel_unpaid_after_days: Mapped[int] = mapped_column(default=7, server_default=text("7"))

    domains: Mapped[list[Domain]] = relationship(
        back_populates="reseller", cascade="all, delete-orphan", order_by="Domain.hostname"
    )
    nameservers: Mapped[list[Nameserver]] = relationship(
        cascade="all, delete-orphan", order_by="Nameserver.position"
    )

    def __repr__(self) -> str:
        return f"<Reseller {self.slug}>"


class Domain(ShopNumbered, Timestamped, db.Model):
    """A custom host name a reseller's shop answers on once verified."""

    __table_args__ = (
        CheckConstraint("hostname = lower(hostname)", "hostname_lower"),
        UniqueConstraint("reseller_id", "hostname"),
        unique_number("domain"),
        # Any shop may claim a name; only one can prove it, and only a verified name serves.
        Index(
            "uq_domain_verified_hostname",
            "hostname",
            unique=True,
            sqlite_where=text("verified_at IS NOT NULL"),
            postgresql_where=text("verified_at IS NOT NULL"),
        ),
        Index(
            "uq_domain_one_primary",
            "reseller_id",
            unique=True,
            sqlite_where="is_primary",
            postgresql_where="is_primary",
        ),
    )

    NUMBER_SEQUENCE = "domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    hostname: Mapped[str] = mapped_column(String(253), index=True)
    is_primary: Mapped[bool] = mapped_column(default=False)
    verification_token: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    reseller: Mapped[Reseller] = relationship(back_populates="domains")


class DomainOffer(TenantScoped, db.Model):
    """A top-level domain a shop registers for its customers, at its yearly retail price."""

    __table_args__ = (
        UniqueConstraint("reseller_id", "tld"),
        CheckConstraint("amount_minor >= 0", "amount_not_negative"),
        CheckConstraint("tld = lower(tld)", "tld_lower"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tld: Mapped[str] = mapped_column(String(63), ForeignKey("tld.name", ondelete="RESTRICT"))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="MYR")


class Nameserver(TenantScoped, db.Model):
    """One of a reseller's private nameserver names, shown to its customers."""

    __table_args__ = (
        CheckConstraint("hostname = lower(hostname)", "hostname_lower"),
        UniqueConstraint("reseller_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hostname: Mapped[str] = mapped_column(String(253), unique=True)
    position: Mapped[int] = mapped_column(default=1)
