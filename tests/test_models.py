"""Constraints make bad states impossible, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from storefront.extensions import db
from storefront.models import BillingCycle, Domain, Offer, OfferPrice, PlanPrice, Reseller, utcnow


def _commit_fails(app, build) -> None:
    with app.app_context():
        db.session.add_all(build())
        with pytest.raises((IntegrityError, StatementError)):
            db.session.commit()
        db.session.rollback()


def _domain(reseller_id: int, host: str, primary: bool = False) -> Domain:
    return Domain(
        reseller_id=reseller_id,
        hostname=host,
        is_primary=primary,
        verification_token=secrets.token_hex(8),
        verified_at=utcnow(),
    )


def test_host_names_are_unique_across_shops(app, make_reseller) -> None:
    make_reseller("one", domains=("shared.test",))
    two = make_reseller("two")
    _commit_fails(app, lambda: [_domain(two, "shared.test")])


def test_host_names_are_stored_lower_case(app, make_reseller) -> None:
    one = make_reseller("one")
    _commit_fails(app, lambda: [_domain(one, "Upper.test")])


def test_one_primary_domain_per_shop(app, make_reseller) -> None:
    one = make_reseller("one", domains=("first.test",))
    _commit_fails(app, lambda: [_domain(one, "second.test", primary=True)])


def test_one_offer_per_plan_per_shop(app, make_reseller, make_plan, make_offer) -> None:
    shop, plan = make_reseller("one"), make_plan("basic")
    make_offer(shop, plan, {"monthly": 900})
    _commit_fails(app, lambda: [Offer(reseller_id=shop, plan_id=plan)])


def test_prices_cannot_be_negative(app, make_reseller, make_plan, make_offer) -> None:
    shop, plan = make_reseller("one"), make_plan("basic")
    offer = make_offer(shop, plan, {"monthly": 900})
    _commit_fails(
        app,
        lambda: [OfferPrice(reseller_id=shop, offer_id=offer, cycle=BillingCycle.ANNUALLY, amount_minor=-1)],
    )
    _commit_fails(app, lambda: [PlanPrice(plan_id=plan, cycle=BillingCycle.ANNUALLY, amount_minor=-100)])


def test_one_price_per_cycle(app, make_reseller, make_plan, make_offer) -> None:
    shop, plan = make_reseller("one"), make_plan("basic")
    offer = make_offer(shop, plan, {"monthly": 900})
    _commit_fails(
        app,
        lambda: [OfferPrice(reseller_id=shop, offer_id=offer, cycle=BillingCycle.MONTHLY, amount_minor=1000)],
    )


def test_an_offer_price_cannot_belong_to_another_shops_offer(
    app, make_reseller, make_plan, make_offer
) -> None:
    one, two, plan = make_reseller("one"), make_reseller("two"), make_plan("basic")
    offer = make_offer(one, plan, {"monthly": 900})
    _commit_fails(
        app,
        lambda: [OfferPrice(reseller_id=two, offer_id=offer, cycle=BillingCycle.ANNUALLY, amount_minor=9000)],
    )


def test_unknown_billing_cycles_and_bad_colours_are_refused(app, make_reseller, make_plan) -> None:
    plan = make_plan("basic", annually=None)
    _commit_fails(app, lambda: [PlanPrice(plan_id=plan, cycle="weekly", amount_minor=100)])
    _commit_fails(
        app,
        lambda: [
            Reseller(
                slug="bad", brand_name="B", legal_name="B", support_email="b@b.test", color_primary="red"
            )
        ],
    )


def test_slugs_are_unique_and_lower_case(app, make_reseller) -> None:
    make_reseller("one")
    _commit_fails(
        app, lambda: [Reseller(slug="one", brand_name="B", legal_name="B", support_email="b@b.test")]
    )
    _commit_fails(
        app, lambda: [Reseller(slug="Two", brand_name="B", legal_name="B", support_email="b@b.test")]
    )


def test_naive_datetimes_are_refused(app, make_reseller) -> None:
    from datetime import datetime

    one = make_reseller("one")
    _commit_fails(
        app,
        lambda: [
            Domain(
                reseller_id=one,
                hostname="naive.test",
                verification_token="t",
                verified_at=datetime(2026, 1, 1),
            )
        ],
    )
