"""The platform's wholesale plans as admins change them, on the staff desk or with `storefront plans`.

A plan has a code (fixed once made: orders, services and statements refer to it, and shops show
it in their plan pages' addresses), a name, a summary, a list of features and a wholesale price
per billing cycle. Every text and the code reach the shops' customers, so they pass the
white-label guard. A cycle once priced keeps a price — it may change, never disappear — because
services bought on it renew at the plan's wholesale price for it. A wholesale price never rises
above a shop's retail price for it: the change is refused, naming the shops to reprice first (and
checkout refuses such a sale in any case). Retiring a plan takes it off every shop's price list and
checkout; services already on it keep renewing. Each change is audited under the caller's actor
and bumps every shop's revision (models.revisions), so no page cache shows the old plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit
from ..branding.shop_admin import has_control_characters
from ..branding.white_label import WhiteLabelError, check_white_label
from ..extensions import db
from ..models import BillingCycle, Offer, OfferPrice, Plan, PlanPrice, Reseller
from ..money import format_money
from .pricing import MAX_PRICE_UNITS

CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
CODE_RULE = "Use 1 to 40 lower-case letters, digits and hyphens for the code, for example business-plus."
RESERVED_CODES = frozenset({"new"})  # the desk's page for adding a plan
NAME_MAX, SUMMARY_MAX, FEATURE_MAX, FEATURES_MAX = 80, 400, 120, 12
PRICE_MAX_MINOR = MAX_PRICE_UNITS * 100


class PlanError(ValueError):
    """A plan change that cannot be made; the message tells a person why."""


@dataclass(frozen=True)
class PlanDraft:
    """A plan as typed: its texts and the wholesale price of each cycle it sells, in minor units."""

    name: str
    summary: str = ""
    features: list[str] = field(default_factory=list)
    prices: dict[BillingCycle, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as the audit log names them: ``staff:<id>`` and a role, or the command line."""

    name: str
    role: str


def find_plan(code: str) -> Plan | None:
    """Return the plan with a code, with its prices."""
    return db.session.scalar(
        select(Plan).where(Plan.code == code.strip().lower()).options(selectinload(Plan.prices))
    )


def create_plan(code: str, draft: PlanDraft, actor: Actor) -> Plan:
    """Add a plan on sale with its prices; a used or malformed code is refused. Commits."""
    code = code.strip().lower()
    if not CODE.match(code):
        raise PlanError(CODE_RULE)
    if code in RESERVED_CODES:
        raise PlanError(f"The code {code} is kept for the desk's own pages. Choose another.")
    if find_plan(code) is not None:
        raise PlanError(f"A plan with the code {code} already exists.")
    try:
        check_white_label(code.replace("-", " "))
        check_white_label(code.replace("-", ""))  # an address part reads as one word too
    except WhiteLabelError as error:
        raise PlanError(str(error)) from None
    name, summary, features = _checked_texts(draft)
    if not draft.prices:
        raise PlanError("Give the plan a wholesale price for at least one billing cycle.")
    plan = Plan(code=code, name=name, summary=summary, features=features, active=True)
    plan.prices = [PlanPrice(cycle=cycle, amount_minor=amount) for cycle, amount in _checked_prices(draft)]
    try:
        db.session.add(plan)
        db.session.flush()
        audit.record(actor.name, actor.role, None, f"plan:{plan.id}", "create_plan", code)
        db.session.commit()
    except IntegrityError:  # the same code added by another request a moment ago
        db.session.rollback()
        raise PlanError(f"A plan with the code {code} already exists.") from None
    return plan


def update_plan(plan: Plan, draft: PlanDraft, actor: Actor) -> list[str]:
    """Change a plan's texts and prices; return what changed (empty when nothing did). Commits."""
    name, summary, features = _checked_texts(draft)
    prices = dict(_checked_prices(draft))
    dropped = sorted(price.cycle.label for price in plan.prices if price.cycle not in prices)
    if dropped:
        raise PlanError(
            f"{', '.join(dropped)} keeps a price: services bought on it renew at it. "
            "Change the amount, or retire the plan to stop selling it."
        )
    if plan.active:
        _refuse_prices_above_retail(plan, prices)
    changed = [
        what
        for what, old, new in (
            ("name", plan.name, name),
            ("summary", plan.summary, summary),
            ("features", plan.features, features),
        )
        if old != new
    ]
    plan.name, plan.summary, plan.features = name, summary, features
    current = {price.cycle: price for price in plan.prices}
    described = list(changed)
    for cycle, amount in prices.items():
        before = current[cycle].amount_minor if cycle in current else None
        if before == amount:
            continue
        if before is None:
            plan.prices.append(PlanPrice(cycle=cycle, amount_minor=amount))
        else:
            current[cycle].amount_minor = amount
        changed.append(f"{cycle.value} price")
        described.append(f"{cycle.value} price {'none' if before is None else before} to {amount}")
    if changed:
        audit.record(actor.name, actor.role, None, f"plan:{plan.id}", "update_plan", "; ".join(described))
        db.session.commit()
    return changed


def set_plan_on_sale(plan: Plan, on_sale: bool, actor: Actor) -> bool:
    """Retire a plan (off every shop, existing services renew) or put it back on sale; False when it
    already was. Commits."""
    if plan.active == on_sale:
        return False
    if on_sale:
        _refuse_prices_above_retail(plan, {price.cycle: price.amount_minor for price in plan.prices})
    plan.active = on_sale
    action = "reinstate_plan" if on_sale else "retire_plan"
    audit.record(actor.name, actor.role, None, f"plan:{plan.id}", action, plan.code)
    db.session.commit()
    return True


def _refuse_prices_above_retail(plan: Plan, prices: dict[BillingCycle, int]) -> None:
    """Refuse wholesale prices above what a shop charges its customers for the plan, naming the shops."""
    below = db.session.execute(
        select(Reseller.brand_name, OfferPrice.cycle, OfferPrice.amount_minor, OfferPrice.currency)
        .join(Offer, Offer.id == OfferPrice.offer_id)
        .join(Reseller, Reseller.id == Offer.reseller_id)
        .where(Offer.plan_id == plan.id)
        .order_by(Reseller.brand_name, OfferPrice.cycle)
    ).all()
    below = [row for row in below if row.cycle in prices and row.amount_minor < prices[row.cycle]]
    if below:
        shops = "; ".join(
            f"{row.brand_name} sells it {row.cycle.value} at {format_money(row.amount_minor, row.currency)}"
            for row in below[:5]
        )
        more = f" and {len(below) - 5} more" if len(below) > 5 else ""
        raise PlanError(
            f"That wholesale price is above what shops charge: {shops}{more}. "
            "Ask them to raise their retail price first."
        )


def _checked_texts(draft: PlanDraft) -> tuple[str, str, list[str]]:
    name = " ".join(draft.name.split())
    summary = " ".join(draft.summary.split())
    features = [" ".join(feature.split()) for feature in draft.features]
    features = [feature for feature in features if feature]
    if not name or len(name) > NAME_MAX:
        raise PlanError(f"Give the plan a name of 1 to {NAME_MAX} characters.")
    if len(summary) > SUMMARY_MAX:
        raise PlanError(f"Keep the summary to {SUMMARY_MAX} characters.")
    if len(features) > FEATURES_MAX:
        raise PlanError(f"List at most {FEATURES_MAX} features, one per line.")
    if any(len(feature) > FEATURE_MAX for feature in features):
        raise PlanError(f"Keep each feature to {FEATURE_MAX} characters.")
    if any(has_control_characters(text) for text in (name, summary, *features)):
        raise PlanError("Plain text only, please: the plan's texts hold a control character.")
    try:
        for text in (name, summary, *features):
            check_white_label(text)  # every shop shows the plan to its customers
    except WhiteLabelError as error:
        raise PlanError(str(error)) from None
    return name, summary, features


def _checked_prices(draft: PlanDraft) -> list[tuple[BillingCycle, int]]:
    for cycle, amount in draft.prices.items():
        if not 0 <= amount <= PRICE_MAX_MINOR:
            raise PlanError(f"The {cycle.value} price must be between RM 0.00 and RM {MAX_PRICE_UNITS:,}.")
    return sorted(draft.prices.items(), key=lambda item: item[0].months)
