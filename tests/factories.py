"""Factory fixtures that create rows and return their ids."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from flask import Flask

from storefront.extensions import db
from storefront.models import (
    BillingCycle,
    Domain,
    Offer,
    OfferPrice,
    Plan,
    PlanPrice,
    Reseller,
    StaffRole,
    StaffUser,
    utcnow,
)


@pytest.fixture
def make_reseller(app: Flask) -> Callable[..., int]:
    """Create a reseller (and optionally verified custom domains); return its id."""

    def make(slug: str, *, theme: str = "default", domains: tuple[str, ...] = (), **fields) -> int:
        with app.app_context():
            reseller = Reseller(
                slug=slug,
                brand_name=fields.pop("brand_name", f"{slug.title()} Hosting"),
                legal_name=fields.pop("legal_name", f"{slug.title()} Sdn. Bhd."),
                support_email=fields.pop("support_email", f"help@{slug}.test"),
                theme=theme,
                **fields,
            )
            reseller.domains = [
                Domain(
                    hostname=host,
                    is_primary=i == 0,
                    verification_token=secrets.token_hex(8),
                    verified_at=utcnow(),
                )
                for i, host in enumerate(domains)
            ]
            db.session.add(reseller)
            db.session.commit()
            return reseller.id

    return make


@pytest.fixture
def make_plan(app: Flask) -> Callable[..., int]:
    """Create a platform plan with wholesale prices; return its id."""

    def make(code: str, *, monthly: int = 500, annually: int | None = 5000, **fields) -> int:
        with app.app_context():
            plan = Plan(code=code, name=fields.pop("name", code.title()), **fields)
            plan.features = fields.get("features", ["1 website"])
            plan.prices = [PlanPrice(cycle=BillingCycle.MONTHLY, amount_minor=monthly)]
            if annually is not None:
                plan.prices.append(PlanPrice(cycle=BillingCycle.ANNUALLY, amount_minor=annually))
            db.session.add(plan)
            db.session.commit()
            return plan.id

    return make


@pytest.fixture
def make_offer(app: Flask) -> Callable[..., int]:
    """Create a reseller's offer of a plan with retail prices by cycle; return its id."""

    def make(reseller_id: int, plan_id: int, prices: dict[str, int], **fields) -> int:
        with app.app_context():
            offer = Offer(reseller_id=reseller_id, plan_id=plan_id, **fields)
            offer.prices = [
                OfferPrice(reseller_id=reseller_id, cycle=BillingCycle(cycle), amount_minor=amount)
                for cycle, amount in prices.items()
            ]
            db.session.add(offer)
            db.session.commit()
            return offer.id

    return make


@pytest.fixture
def make_staff(app: Flask) -> Callable[..., int]:
    """Create a platform staff account; return its id."""

    def make(
        email: str = "ops@platform.test",
        password: str = "correct horse battery",
        role: StaffRole = StaffRole.SUPPORT,
        active: bool = True,
    ) -> int:
        with app.app_context():
            staff = StaffUser(email=email, name="Ops Person", role=role, active=active)
            staff.set_password(password)
            db.session.add(staff)
            db.session.commit()
            return staff.id

    return make
