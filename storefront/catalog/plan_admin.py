"""The platform's wholesale plans as admins change them, on the staff desk or with `storefront plans`.

A plan has a code (fixed once made: orders, services and statements refer to it), a name, a
summary, a list of features and a wholesale price per billing cycle. Every text reaches the
shops' customers, so it passes the white-label guard. A cycle once priced keeps a price — it may
change, never disappear — because services bought on it renew at the plan's wholesale price for
it. Retiring a plan takes it off every shop's price list and checkout; services already on it keep
renewing. Each change is audited by the caller's actor and bumps every shop's revision (models.revisions),
so no page cache shows the old plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..branding.white_label import WhiteLabelError, check_white_label
from ..extensions import db
from ..models import BillingCycle, Plan, PlanPrice
from .pricing import MAX_PRICE_UNITS

CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
CODE_RULE = "Use 1 to 40 lower-case letters, digits and hyphens for the code, for example business-plus."
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
    if find_plan(code) is not None:
        raise PlanError(f"A plan with the code {code} already exists.")
    name, summary, features = _checked_texts(draft)
    if not draft.prices:
        raise PlanError("Give the plan a wholesale price for at least one billing cycle.")
    plan = Plan(code=code, name=name, summary=summary, features=features, active=True)
    plan.prices = [PlanPrice(cycle=cycle, amount_minor=amount) for cycle, amount in _checked_prices(draft)]
    db.session.add(plan)
    db.session.flush()
    audit.record(actor.name, actor.role, None, f"plan:{plan.id}", "create_plan", code)
    db.session.commit()
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
    for cycle, amount in prices.items():
        if cycle not in current:
            plan.prices.append(PlanPrice(cycle=cycle, amount_minor=amount))
            changed.append(f"{cycle.value} price")
        elif current[cycle].amount_minor != amount:
            current[cycle].amount_minor = amount
            changed.append(f"{cycle.value} price")
    if changed:
        audit.record(actor.name, actor.role, None, f"plan:{plan.id}", "update_plan", ", ".join(changed))
        db.session.commit()
    return changed


def set_plan_on_sale(plan: Plan, on_sale: bool, actor: Actor) -> bool:
    """Retire a plan (off every shop, existing services renew) or put it back on sale; False when it
    already was. Commits."""
    if plan.active == on_sale:
        return False
    plan.active = on_sale
    action = "reinstate_plan" if on_sale else "retire_plan"
    audit.record(actor.name, actor.role, None, f"plan:{plan.id}", action, plan.code)
    db.session.commit()
    return True


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
    if any(ord(char) < 32 for text in (name, summary, *features) for char in text):
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
