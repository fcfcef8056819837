"""The catalogue: the platform's plans at wholesale, and each reseller's retail offers."""

from __future__ import annotations

import enum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TenantScoped, Timestamped, value_enum


class BillingCycle(enum.StrEnum):
    """How often a service is billed."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUALLY = "annually"

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "annually": 12}[self.value]

    @property
    def label(self) -> str:
        return {"monthly": "Monthly", "quarterly": "Quarterly", "annually": "Annually"}[self.value]

    @property
    def per(self) -> str:
        return {"monthly": "/mo", "quarterly": "/quarter", "annually": "/yr"}[self.value]


CYCLE_TYPE = value_enum(BillingCycle, 16, name="billing_cycle", validate_strings=True)


class Plan(Timestamped, db.Model):
    """A hosting product the platform defines."""

    __table_args__ = (CheckConstraint("code = lower(code)", "code_lower"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(Text, default="")
    features: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)

    prices: Mapped[list[PlanPrice]] = relationship(back_populates="plan", cascade="all, delete-orphan")


class PlanPrice(db.Model):
    """The platform's wholesale price of a plan for one billing cycle."""

    __table_args__ = (
        UniqueConstraint("plan_id", "cycle"),
        CheckConstraint("amount_minor >= 0", "amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    cycle: Mapped[BillingCycle] = mapped_column(CYCLE_TYPE)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="MYR")

    plan: Mapped[Plan] = relationship(back_populates="prices")


class Offer(TenantScoped, Timestamped, db.Model):
    """A reseller's retail listing of a plan."""

    __table_args__ = (
        UniqueConstraint("reseller_id", "plan_id"),
        UniqueConstraint("id", "reseller_id"),
        # "Popular" means one plan: a shop features at most one offer.
        Index(
            "uq_offer_one_featured",
            "reseller_id",
            unique=True,
            sqlite_where=text("featured"),
            postgresql_where=text("featured"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="RESTRICT"))
    visible: Mapped[bool] = mapped_column(default=True)
    featured: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    plan: Mapped[Plan] = relationship()
    prices: Mapped[list[OfferPrice]] = relationship(back_populates="offer", cascade="all, delete-orphan")

    def price_for(self, cycle: BillingCycle) -> OfferPrice | None:
        """Return this offer's retail price for a cycle, if it sells that cycle."""
        return next((price for price in self.prices if price.cycle == cycle), None)


class OfferPrice(TenantScoped, db.Model):
    """A reseller's retail price of an offer for one billing cycle."""

    __table_args__ = (
        UniqueConstraint("offer_id", "cycle"),
        CheckConstraint("amount_minor >= 0", "amount_not_negative"),
        ForeignKeyConstraint(
            ["offer_id", "reseller_id"], ["offer.id", "offer.reseller_id"], ondelete="CASCADE"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int]
    cycle: Mapped[BillingCycle] = mapped_column(CYCLE_TYPE)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="MYR")

    offer: Mapped[Offer] = relationship(back_populates="prices")


class Tld(db.Model):
    """A top-level domain the platform can register, at its yearly wholesale price."""

    __table_args__ = (
        CheckConstraint("wholesale_minor >= 0", "wholesale_not_negative"),
        CheckConstraint("name = lower(name)", "name_lower"),
    )

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    wholesale_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="MYR")
