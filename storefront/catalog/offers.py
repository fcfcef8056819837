"""Reading a shop's catalogue: its visible offers with their retail prices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager, joinedload

from ..branding.shops import ShopLike
from ..extensions import db
from ..models import BillingCycle, Offer, Plan

DEFAULT_CYCLE = BillingCycle.MONTHLY


def parse_cycle(raw: str | None) -> BillingCycle:
    """Return the billing cycle a query value names, or the default for anything else."""
    try:
        return BillingCycle(raw or DEFAULT_CYCLE)
    except ValueError:
        return DEFAULT_CYCLE


# Built once: building it costs more than running it. The shop is the ``shop_id`` parameter.
_VISIBLE_OFFERS = (
    select(Offer)
    .join(Offer.plan)
    .where(Offer.reseller_id == bindparam("shop_id"), Offer.visible.is_(True), Plan.active.is_(True))
    .options(contains_eager(Offer.plan), joinedload(Offer.prices))
    .order_by(Offer.position, Plan.name)
)
_VISIBLE_OFFER_OF_PLAN = _VISIBLE_OFFERS.where(Plan.code == bindparam("plan_code"))


def list_offers(shop: ShopLike) -> list[Offer]:
    """Return the shop's visible offers in display order, prices loaded."""
    return list(db.session.scalars(_VISIBLE_OFFERS, {"shop_id": shop.id}).unique())


@dataclass(frozen=True, slots=True)
class PlanCard:
    """What the catalogue shows of a plan."""

    id: int
    code: str
    name: str
    summary: str
    features: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CardPrice:
    """A retail price of an offer for one billing cycle."""

    cycle: BillingCycle
    amount_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class OfferCard:
    """A read-only copy of a visible offer, its plan and its prices, as the catalogue pages show it."""

    id: int
    plan_id: int
    featured: bool
    position: int
    plan: PlanCard
    prices: tuple[CardPrice, ...]

    def price_for(self, cycle: BillingCycle) -> CardPrice | None:
        """Return this offer's retail price for a cycle, if it sells that cycle."""
        return next((price for price in self.prices if price.cycle == cycle), None)


def catalogue(shop: ShopLike) -> tuple[OfferCard, ...]:
    """Return copies of the shop's visible offers in display order that requests can share."""
    return tuple(
        OfferCard(
            offer.id,
            offer.plan_id,
            offer.featured,
            offer.position,
            PlanCard(
                offer.plan.id,
                offer.plan.code,
                offer.plan.name,
                offer.plan.summary,
                tuple(offer.plan.features),
            ),
            tuple(CardPrice(price.cycle, price.amount_minor, price.currency) for price in offer.prices),
        )
        for offer in list_offers(shop)
    )


HOME_FEATURED_LIMIT = 3


def home_offers(shop: ShopLike, offers: Sequence[Offer | OfferCard] | None = None) -> list:
    """Return the offers the home page shows: featured ones first, then display order.

    ``offers`` is the shop's catalogue when the caller has it already.
    """
    featured_first = sorted(
        list_offers(shop) if offers is None else offers, key=lambda offer: not offer.featured
    )
    return featured_first[:HOME_FEATURED_LIMIT]


def find_offer(shop: ShopLike, plan_code: str) -> Offer | None:
    """Return the shop's visible offer of a plan by the plan's code, if it has one."""
    offers = db.session.scalars(_VISIBLE_OFFER_OF_PLAN, {"shop_id": shop.id, "plan_code": plan_code.lower()})
    return offers.unique().first()


@dataclass(frozen=True)
class PriceView:
    """A retail price as shown on a plan card for one billing cycle."""

    amount_minor: int
    currency: str
    cycle: BillingCycle
    monthly_equivalent_minor: int
    saving_percent: int


def price_view(offer: Offer | OfferCard, cycle: BillingCycle) -> PriceView | None:
    """Return what a card shows for an offer in a cycle, with the saving against monthly."""
    price = offer.price_for(cycle)
    if price is None:
        return None
    per_month = round(price.amount_minor / cycle.months)
    monthly = offer.price_for(BillingCycle.MONTHLY)
    saving = 0
    if monthly and cycle != BillingCycle.MONTHLY and monthly.amount_minor:
        full = monthly.amount_minor * cycle.months
        saving = max(0, round(100 * (full - price.amount_minor) / full))
    return PriceView(price.amount_minor, price.currency, cycle, per_month, saving)


def cycles_on_sale(offers: Sequence[Offer | OfferCard]) -> list[BillingCycle]:
    """Return the billing cycles any of the offers sells, in calendar order."""
    sold = {price.cycle for offer in offers for price in offer.prices}
    return [cycle for cycle in BillingCycle if cycle in sold]
