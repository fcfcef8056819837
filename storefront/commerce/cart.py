"""The cart: a short list of plans and billing cycles kept in the session, priced by the server."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from ..branding.shops import ShopLike
from ..catalog.offers import list_offers
from ..models import BillingCycle, Offer

MAX_ITEMS = 10


class CartError(ValueError):
    """A cart change that cannot be made; the message says why."""


@dataclass(frozen=True)
class CartLine:
    """One cart item with its current retail price."""

    item_id: str
    offer: Offer
    cycle: BillingCycle
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class PricedCart:
    """The cart as the server prices it now."""

    lines: list[CartLine]
    total_minor: int
    currency: str

    @property
    def count(self) -> int:
        return len(self.lines)


def price_cart(shop: ShopLike, items: list[dict]) -> PricedCart:
    """Price the session's items from the shop's offers; items no longer on sale drop out."""
    offers = {offer.plan.code: offer for offer in list_offers(shop)} if items else {}
    lines = []
    for item in items:
        offer = offers.get(item.get("plan"))
        cycle = BillingCycle(item["cycle"]) if item.get("cycle") in BillingCycle._value2member_map_ else None
        price = offer.price_for(cycle) if offer and cycle else None
        if price is not None:
            lines.append(CartLine(item["id"], offer, cycle, price.amount_minor, price.currency))
    return PricedCart(lines, sum(line.amount_minor for line in lines), shop.currency)


def _checked(shop: ShopLike, plan_code: str, cycle_value: str) -> tuple[str, str]:
    offers = {offer.plan.code: offer for offer in list_offers(shop)}
    offer = offers.get((plan_code or "").lower())
    if offer is None:
        raise CartError("That plan is not on sale here.")
    if (
        cycle_value not in BillingCycle._value2member_map_
        or offer.price_for(BillingCycle(cycle_value)) is None
    ):
        raise CartError(f"{offer.plan.name} is not sold with that billing period.")
    return offer.plan.code, cycle_value


def add_item(shop: ShopLike, items: list[dict], plan_code: str, cycle: str) -> list[dict]:
    """Return the items with a plan added in a billing cycle."""
    if len(items) >= MAX_ITEMS:
        raise CartError(f"A cart holds at most {MAX_ITEMS} plans. Please check out first.")
    code, cycle = _checked(shop, plan_code, cycle)
    return [*items, {"id": secrets.token_hex(4), "plan": code, "cycle": cycle}]


def change_cycle(shop: ShopLike, items: list[dict], item_id: str, cycle: str) -> list[dict]:
    """Return the items with one item's billing cycle changed."""
    item = next((i for i in items if i.get("id") == item_id), None)
    if item is None:
        raise CartError("That item is no longer in your cart.")
    _checked(shop, item["plan"], cycle)
    return [{**i, "cycle": cycle} if i is item else i for i in items]


def remove_item(items: list[dict], item_id: str) -> list[dict]:
    """Return the items without one item."""
    return [item for item in items if item.get("id") != item_id]
