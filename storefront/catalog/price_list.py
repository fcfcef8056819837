"""A shop's plan price list: every active platform plan, its retail price per cycle, visibility and order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..branding.shops import ShopLike
from ..extensions import db
from ..models import BillingCycle, Offer, OfferPrice, Plan
from ..money import format_money
from .pricing import PriceCell, read_price, show_saved


@dataclass
class PlanRow:
    """One platform plan on the shop's price list: its offer (if any), visibility and a price per cycle."""

    plan: Plan
    offer: Offer | None
    visible: bool
    cells: dict[BillingCycle, PriceCell] = field(default_factory=dict)
    error: str | None = None
    submitted: bool = False

    @property
    def priced(self) -> bool:
        """True when at least one cycle has a price."""
        return any(cell.amount_minor is not None for cell in self.cells.values())

    @property
    def messages(self) -> list[str]:
        """Every refusal on this row, naming the plan and cycle."""
        found = [
            f"{self.plan.name}, {cycle.label.lower()}: {c.error}"
            for cycle, c in self.cells.items()
            if c.error
        ]
        return found + ([self.error] if self.error else [])


@dataclass
class PriceList:
    """Every active platform plan with the shop's retail prices, as saved or as just typed."""

    rows: list[PlanRow]
    cycles: list[BillingCycle]

    @property
    def messages(self) -> list[str]:
        """Every refusal in the list."""
        return [message for row in self.rows for message in row.messages]


def price_key(plan_id: int, cycle: BillingCycle) -> str:
    """Return the form field of a plan's price in one cycle."""
    return f"price-{plan_id}-{cycle.value}"


def visible_key(plan_id: int) -> str:
    """Return the form field of a plan's "shown in the shop" box."""
    return f"visible-{plan_id}"


def _catalogue(shop: ShopLike) -> tuple[list[Plan], dict[int, Offer]]:
    plans = db.session.scalars(
        select(Plan).where(Plan.active.is_(True)).options(selectinload(Plan.prices)).order_by(Plan.name)
    )
    offers = db.session.scalars(
        select(Offer).where(Offer.reseller_id == shop.id).options(selectinload(Offer.prices))
    )
    return list(plans), {offer.plan_id: offer for offer in offers}


def _in_shop_order(rows: list[PlanRow]) -> list[PlanRow]:
    """Offered plans as the shop lists them, then the plans it does not offer yet, by name."""
    return sorted(
        rows, key=lambda row: (row.offer is None, row.offer.position if row.offer else 0, row.plan.name)
    )


def _plan_row(shop: ShopLike, plan: Plan, offer: Offer | None, form: Mapping[str, str] | None) -> PlanRow:
    """The plan as the form sets it; a plan the form does not mention (say, a stale page) stays as saved."""
    wholesale_prices = sorted(plan.prices, key=lambda price: price.cycle.months)
    submitted = form is not None and any(price_key(plan.id, p.cycle) in form for p in wholesale_prices)
    visible = visible_key(plan.id) in form if submitted else bool(offer and offer.visible)
    row = PlanRow(plan, offer, visible, submitted=submitted)
    for wholesale in wholesale_prices:
        cell = PriceCell(
            price_key(plan.id, wholesale.cycle), wholesale.amount_minor, shop.currency, cycle=wholesale.cycle
        )
        if submitted:
            read_price(cell, form.get(cell.key, ""), wholesale.currency, free=False)
        else:
            saved = offer.price_for(wholesale.cycle) if offer else None
            show_saved(cell, saved.amount_minor if saved else None)
        row.cells[wholesale.cycle] = cell
    return row


def _rows(shop: ShopLike, form: Mapping[str, str] | None) -> PriceList:
    plans, offers = _catalogue(shop)
    rows = [_plan_row(shop, plan, offers.get(plan.id), form) for plan in plans]
    cycles = [cycle for cycle in BillingCycle if any(cycle in row.cells for row in rows)]
    return PriceList(_in_shop_order(rows), cycles)


def price_list(shop: ShopLike) -> PriceList:
    """Return the shop's price list as saved."""
    return _rows(shop, None)


def read_price_form(shop: ShopLike, form: Mapping[str, str]) -> PriceList:
    """Return the price list as the owner submitted it, each refusal on its cell or row."""
    prices = _rows(shop, form)
    for row in prices.rows:
        if row.submitted and row.visible and not row.priced and not any(c.error for c in row.cells.values()):
            row.error = (
                f"To show {row.plan.name} in the shop, give it a price for at least one billing cycle."
            )
    return prices


def save_price_list(shop: ShopLike, prices: PriceList, actor: str) -> int:
    """Write a valid price list in the caller's transaction, auditing each changed offer; return how many."""
    next_position = max((row.offer.position for row in prices.rows if row.offer), default=-1) + 1
    changed = 0
    for row in prices.rows:
        offer, notes = row.offer, []
        if offer is None:
            if not row.priced:
                continue
            offer = Offer(
                reseller_id=shop.id, plan_id=row.plan.id, visible=row.visible, position=next_position
            )
            next_position += 1
            db.session.add(offer)
            notes.append("offered " + ("and shown" if row.visible else "hidden"))
        elif offer.visible != row.visible:
            offer.visible = row.visible
            notes.append("shown" if row.visible else "hidden")
        for cycle, cell in row.cells.items():
            notes += _apply_price(shop, offer, cycle, cell)
        if notes:
            db.session.flush()
            audit.record(
                actor, "owner", shop.id, f"offer:{offer.id}", "prices", f"{row.plan.code}: {'; '.join(notes)}"
            )
            changed += 1
    return changed


def _apply_price(shop: ShopLike, offer: Offer, cycle: BillingCycle, cell: PriceCell) -> list[str]:
    saved = offer.price_for(cycle)
    before = format_money(saved.amount_minor, saved.currency) if saved else "not sold"
    after = format_money(cell.amount_minor, cell.currency) if cell.amount_minor is not None else "not sold"
    if before == after:
        return []
    if cell.amount_minor is None:
        offer.prices.remove(saved)
    elif saved is None:
        offer.prices.append(
            OfferPrice(
                reseller_id=shop.id, cycle=cycle, amount_minor=cell.amount_minor, currency=cell.currency
            )
        )
    else:
        saved.amount_minor, saved.currency = cell.amount_minor, cell.currency
    return [f"{cycle.value} {before} to {after}"]


def preview_plan_price(shop: ShopLike, plan_id: int, cycle: BillingCycle, text: str) -> PriceCell | None:
    """Return the margin cell for a price being typed, without saving; None if the plan has no such price."""
    plan = db.session.get(Plan, plan_id, options=[selectinload(Plan.prices)])
    wholesale = next((p for p in plan.prices if p.cycle == cycle), None) if plan and plan.active else None
    if wholesale is None:
        return None
    cell = PriceCell(price_key(plan_id, cycle), wholesale.amount_minor, shop.currency, cycle=cycle)
    return read_price(cell, text, wholesale.currency, free=False)


def move_offer(shop: ShopLike, plan_code: str, step: int, actor: str) -> bool | None:
    """Move the offer of a plan one place up (-1) or down (+1) in the shop's list; None if there is none."""
    offers = list(
        db.session.scalars(
            select(Offer)
            .join(Offer.plan)
            .where(Offer.reseller_id == shop.id, Plan.active.is_(True))
            .order_by(Offer.position, Plan.name)
        )
    )
    index = next((i for i, offer in enumerate(offers) if offer.plan.code == plan_code), None)
    if index is None:
        return None
    target = index + step
    if step == 0 or not 0 <= target < len(offers):
        return False
    offers[index], offers[target] = offers[target], offers[index]
    for position, offer in enumerate(offers):
        offer.position = position
    moved = offers[target]
    audit.record(actor, "owner", shop.id, f"offer:{moved.id}", "position", f"moved to place {target + 1}")
    return True
