"""Retail prices (owners only): plan prices per cycle with a live margin, visibility, order, domains."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ..catalog import domain_prices
from ..catalog import price_list as plan_prices
from ..catalog.domain_prices import DomainRow
from ..catalog.price_list import PriceList
from ..catalog.pricing import PriceCell
from ..extensions import db
from ..models import BillingCycle
from ..whole_numbers import whole_number
from . import bp
from .auth import owner_required

MAX_ID = 2147483647
STEPS = {"up": -1, "down": 1}


def _actor() -> str:
    return f"team:{current_user.id}"


def _page(
    prices: PriceList, domains: list[DomainRow], status: int = 200, errors: list[str] | None = None
) -> tuple[str, int]:
    return render_template(
        "console/pricing.html",
        prices=prices,
        domains=domains,
        errors=errors or [],
        visible_key=plan_prices.visible_key,
    ), status


def _saved_or_conflict(done: str) -> Response | tuple[str, int]:
    try:
        db.session.commit()
    except IntegrityError:  # another save of the same shop's prices won the race
        db.session.rollback()
        flash("Someone changed these prices at the same moment. Please check them and save again.", "error")
        return redirect(url_for("console.pricing"), 303)
    flash(done, "success")
    return redirect(url_for("console.pricing"), 303)


@bp.get("/pricing")
@owner_required
def pricing() -> tuple[str, int]:
    """The price list: every platform plan and cycle at wholesale, the shop's price, and the margin."""
    return _page(plan_prices.price_list(g.shop), domain_prices.domain_price_list(g.shop))


@bp.post("/pricing")
@owner_required
def save_prices() -> Response | tuple[str, int]:
    """Save the whole plan price list, or nothing at all when any price is refused."""
    prices = plan_prices.read_price_form(g.shop, request.form)
    if prices.messages:
        return _page(prices, domain_prices.domain_price_list(g.shop), 400, prices.messages)
    changed = plan_prices.save_price_list(g.shop, prices, _actor())
    if not changed:
        flash("Nothing to save: the prices are as they were.", "success")
        return redirect(url_for("console.pricing"), 303)
    return _saved_or_conflict("Prices saved. New orders use them; issued invoices keep theirs.")


@bp.post("/pricing/domains")
@owner_required
def save_domain_prices() -> Response | tuple[str, int]:
    """Save the yearly domain registration prices, or nothing when any is refused."""
    domains = domain_prices.read_domain_form(g.shop, request.form)
    errors = [f".{row.tld}: {row.cell.error}" for row in domains if row.cell.error]
    if errors:
        return _page(plan_prices.price_list(g.shop), domains, 400, errors)
    domain_prices.save_domain_prices(g.shop, domains, _actor())
    return _saved_or_conflict("Domain prices saved. New orders use them.")


@bp.post("/pricing/offers/<plan_code>/move")
@owner_required
def move_offer(plan_code: str) -> Response:
    """Move a plan one place up or down in the shop's list."""
    step = STEPS.get(request.form.get("direction", ""), 0)
    moved = plan_prices.move_offer(g.shop, plan_code, step, _actor())
    if moved is None:
        abort(404)
    if not moved:
        flash("That plan cannot move further that way." if step else "Please choose up or down.", "error")
        return redirect(url_for("console.pricing"), 303)
    return _saved_or_conflict("Order saved; the shop lists the plans in this order.")


def _margin(cell: PriceCell | None) -> str:
    if cell is None:
        abort(404)
    return render_template("console/_margin.html", cell=cell)


@bp.get("/pricing/margin")
@owner_required
def plan_margin() -> str:
    """The margin of a price being typed for ``?plan=<id>&cycle=<cycle>``, or why it is refused; unsaved."""
    plan_id = whole_number(request.args.get("plan"), least=1)
    cycle = request.args.get("cycle", "")
    if plan_id is None or cycle not in BillingCycle._value2member_map_:
        abort(404)
    text = request.args.get(plan_prices.price_key(plan_id, BillingCycle(cycle)), "")
    return _margin(plan_prices.preview_plan_price(g.shop, plan_id, BillingCycle(cycle), text))


@bp.get("/pricing/domains/margin")
@owner_required
def domain_margin() -> str:
    """The margin of a domain price being typed (``?tld=<ending>``) or why it is refused; nothing is saved."""
    tld = request.args.get("tld", "")
    if not tld.isprintable():  # no ending has control characters, and PostgreSQL refuses a NUL
        abort(404)
    return _margin(
        domain_prices.domain_preview(g.shop, tld, request.args.get(domain_prices.domain_key(tld), ""))
    )
