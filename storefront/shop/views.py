"""Storefront pages: home, catalogue, plan detail, privacy notice, contact."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import abort, g, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..billing.notices import day_text
from ..branding.theming import render_themed
from ..catalog.offers import catalogue, cycles_on_sale, find_offer, home_offers, parse_cycle, price_view
from ..commerce.invoices import invoice_label
from ..domain_names import display_domain
from ..htmx import is_htmx
from ..models import Customer
from ..money import format_money
from ..pagecache import shop_page, shop_snapshot
from ..privacy.privacy_notice import current_notice
from . import bp


@bp.before_request
def require_shop() -> Response | None:
    """Serve shop routes only on a shop's host; the staff host's root leads to staff."""
    if g.shop is not None:
        return None
    if g.is_staff_host and request.endpoint == "shop.home":
        return redirect(url_for("staff.index"))
    abort(404)


@bp.app_template_filter("money")
def money_filter(amount_minor: int, currency: str = "MYR") -> str:
    """Format minor units for people, for example ``RM 12.90``."""
    return format_money(amount_minor, currency)


@bp.app_template_global("price_view")
def price_view_global(offer, cycle):
    """Expose the plan-card price calculation to templates."""
    return price_view(offer, cycle)


@bp.app_template_global("invoice_label")
def invoice_label_global(number: int) -> str:
    """Print an invoice number, for example ``INV-000042``."""
    return invoice_label(number)


@bp.app_template_filter("domain")
def domain_filter(ascii_name: str) -> str:
    """Show a domain as people read it."""
    return display_domain(ascii_name)


@bp.app_template_filter("local_date")
def local_date_filter(moment: datetime) -> str:
    """Show a UTC time as a date in the shop's time zone, for example ``24 Nov 2026``."""
    return moment.astimezone(ZoneInfo(g.shop.timezone)).strftime("%-d %b %Y")


@bp.app_template_filter("day")
def day_filter(day: date) -> str:
    """Show a calendar date (already the shop's), for example ``24 Nov 2026``."""
    return day_text(day)


@bp.app_template_filter("local_time")
def local_time_filter(moment: datetime) -> str:
    """Show a UTC time in the shop's time zone, for example ``24 Nov 2026, 14:05``."""
    return moment.astimezone(ZoneInfo(g.shop.timezone)).strftime("%-d %b %Y, %H:%M")


@bp.app_template_global("visitor_signed_in")
def visitor_signed_in() -> bool:
    """True when a customer of this shop is signed in."""
    return isinstance(current_user._get_current_object(), Customer)


@bp.app_template_global("cart_count")
def cart_count() -> int:
    """The number of items in the visitor's cart."""
    items = session.get("cart")
    return len(items) if isinstance(items, list) else 0


def _catalogue():
    """The shop's visible offers, read once per shop revision in this process."""
    return shop_snapshot("catalogue", lambda: catalogue(g.shop))


@bp.get("/")
def home() -> str:
    """The shop's front page: hero and featured plans."""

    def render() -> str:
        offers = home_offers(g.shop, _catalogue())
        return render_themed("home.html", offers=offers, cycle=parse_cycle(None))

    return shop_page("home", render)


@bp.get("/plans")
def plans() -> str:
    """The catalogue; the billing-cycle toggle swaps the grid in place over htmx."""
    cycle = parse_cycle(request.args.get("cycle"))
    template = "_plan-grid.html" if is_htmx() else "plans.html"

    def render() -> str:
        offers = _catalogue()
        return render_themed(template, offers=offers, cycle=cycle, cycles=cycles_on_sale(offers))

    return shop_page((template, cycle), render)


@bp.get("/plans/<code>")
def plan(code: str) -> str:
    """One plan's features and its price in every billing cycle the shop sells, ``?cycle=`` chosen."""
    offer = find_offer(g.shop, code)
    if offer is None:
        abort(404)
    prices = [view for cycle in cycles_on_sale([offer]) if (view := price_view(offer, cycle))]
    asked = parse_cycle(request.args.get("cycle"))  # the period chosen on /plans comes along
    chosen = asked if any(price.cycle == asked for price in prices) else prices[0].cycle if prices else None
    return render_themed("plan.html", offer=offer, prices=prices, chosen=chosen)


@bp.get("/privacy")
def privacy() -> str:
    """The shop's privacy notice, naming the reseller as responsible for the data."""
    return shop_page("privacy", lambda: render_themed("privacy.html", notice=current_notice(g.shop)))


@bp.get("/contact")
def contact() -> str:
    """How to reach the shop's support team."""
    return shop_page("contact", lambda: render_themed("contact.html"))
