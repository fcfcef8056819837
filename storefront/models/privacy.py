"""What the PDPA asks a shop to keep: notices and their acceptance, consents, corrections,
disclosures and breaches."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import TenantScoped, Timestamped, UTCDateTime, value_enum
from .numbering import ShopNumbered, unique_number


class PrivacyNotice(TenantScoped, Timestamped, db.Model):
    """One published version of a shop's privacy notice; versions are never edited, only added."""

    __table_args__ = (UniqueConstraint("reseller_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    # What changed since the last version, shown to returning customers.
    changes: Mapped[str] = mapped_column(String(500), default="")
    published_by: Mapped[str] = mapped_column(String(60), default="")  # team:<id>, system


class NoticeAcceptance(TenantScoped, Timestamped, db.Model):
    """A customer accepted a version of the shop's privacy notice, at created_at."""

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    request_id: Mapped[str] = mapped_column(String(64), default="")


class ConsentEvent(TenantScoped, Timestamped, db.Model):
    """A customer gave or withdrew a consent (marketing from the shop), at created_at."""

    __table_args__ = (Index("ix_consent_event_customer", "customer_id", "purpose", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(40))  # marketing
    granted: Mapped[bool]
    source: Mapped[str] = mapped_column(String(40))  # privacy centre, sign-up
    notice_version: Mapped[int] = mapped_column(default=0)
    request_id: Mapped[str] = mapped_column(String(64), default="")


class CorrectionStatus(enum.StrEnum):
    """Where a correction request stands: waiting for the team, answered, or closed."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class CorrectionOutcome(enum.StrEnum):
    """How a closed correction request ended."""

    CORRECTED = "corrected"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class CorrectionRequest(ShopNumbered, Timestamped, db.Model):
    """A customer asks the shop to correct data they cannot edit themselves; the clock is 21 days."""

    __table_args__ = (
        Index("ix_correction_request_shop_status", "reseller_id", "status", "due_at"),
        unique_number("correction_request"),
    )
    NUMBER_SEQUENCE = "correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    # invoice:<number>, order:<number>, service:<number> (the shop's numbers), or other
    record: Mapped[str] = mapped_column(String(60))
    details: Mapped[str] = mapped_column(Text)  # what is wrong and what it should say
    status: Mapped[CorrectionStatus] = mapped_column(
        value_enum(CorrectionStatus, 16), default=CorrectionStatus.OPEN
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("team_member.id", ondelete="SET NULL"))
    outcome: Mapped[CorrectionOutcome | None] = mapped_column(value_enum(CorrectionOutcome, 16))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the team confirmed the correction was passed on to those the data was disclosed to.
    passed_on_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LegalBasis(enum.StrEnum):
    """Why a disclosure was allowed (PDPA s.39 and s.8)."""

    CONSENT = "consent"
    CONTRACT = "contract"  # needed to provide what was ordered, e.g. the domain registry
    LEGAL_DUTY = "legal_duty"  # required by law or by order of a court
    CRIME = "crime"  # preventing or detecting a crime
    LEGITIMATE = "legitimate_interest"  # e.g. a credit-reference check the customer was told of


class Disclosure(TenantScoped, Timestamped, db.Model):
    """Personal data of one customer was disclosed outside: to whom, what, why, when."""

    __table_args__ = (Index("ix_disclosure_customer", "customer_id", "disclosed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(200))
    data: Mapped[str] = mapped_column(String(500))  # which data, e.g. "name, email, domain"
    purpose: Mapped[str] = mapped_column(String(500))
    legal_basis: Mapped[LegalBasis] = mapped_column(value_enum(LegalBasis, 24))
    reference: Mapped[str] = mapped_column(String(120), default="")  # e.g. the court order's number
    disclosed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(60))  # staff:<id>


class Breach(Timestamped, db.Model):
    """A personal-data breach; the Commissioner must hear of it within 72 hours of discovery."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discovered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scope: Mapped[str] = mapped_column(Text)  # what happened and how far it reached
    data_categories: Mapped[str] = mapped_column(String(500))
    measures: Mapped[str] = mapped_column(Text, default="")  # what was done, what customers should do
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    commissioner_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    commissioner_reference: Mapped[str] = mapped_column(String(120), default="")


class BreachShop(db.Model):
    """A shop affected by a breach."""

    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id", ondelete="CASCADE"), primary_key=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("reseller.id", ondelete="CASCADE"), primary_key=True)


class BreachCustomer(db.Model):
    """A customer affected by a breach, and when their shop's notice went to them."""

    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("reseller.id", ondelete="CASCADE"), index=True)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
