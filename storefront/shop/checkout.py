"""Checkout: name a domain for each plan, then one order and one invoice, however often it is sent."""

from __future__ import annotations

from flask import flash, g, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..branding.theming import render_themed
from ..commerce.cart import price_cart
from ..commerce.checkout_keys import mint_checkout_key
from ..commerce.orders import (
    CheckoutError,
    DomainRequest,
    StaleCheckout,
    invoice_of,
    place_order,
    registration_tlds,
)
from ..models import DomainChoice
from . import bp
from .account import customer_required
from .cart import cart_items


def _domain_requests(cart) -> dict[str, DomainRequest]:
    """Read each cart item's domain choice from the form; unknown choices mean 'register'."""
    requests = {}
    for line in cart.lines:
        raw_choice = request.form.get(f"choice-{line.item_id}", "register")
        choice = DomainChoice.EXISTING if raw_choice == "existing" else DomainChoice.REGISTER
        requests[line.item_id] = DomainRequest(choice, request.form.get(f"domain-{line.item_id}", "")[:300])
    return requests


def _page(cart, error: str | None = None, field_errors: dict | None = None, status: int = 200):
    key = mint_checkout_key(g.shop, current_user._get_current_object(), cart)
    return render_themed(
        "checkout.html",
        cart=cart,
        error=error,
        field_errors=field_errors or {},
        values=request.form,
        idempotency_key=key,
        tlds=registration_tlds(g.shop),
    ), status


@bp.get("/checkout")
@customer_required
def checkout() -> Response | tuple[str, int]:
    """Review the cart and name the domains."""
    cart = price_cart(g.shop, cart_items())
    if not cart.lines:
        return redirect(url_for("shop.cart"))
    return _page(cart)


@bp.post("/checkout")
@customer_required
def place() -> Response | tuple[str, int]:
    """Place the order; prices come from the catalogue, never from the form."""
    cart = price_cart(g.shop, cart_items())
    try:
        order = place_order(
            g.shop,
            current_user._get_current_object(),
            cart,
            _domain_requests(cart),
            request.form.get("idempotency_key", ""),
        )
    except StaleCheckout as error:  # a stale tab, or another customer's form: the cart stays
        return _page(cart, str(error), status=409)
    except CheckoutError as error:
        return _page(cart, str(error), error.field_errors, 400)
    session.pop("cart", None)
    flash("Thank you, your order is placed. Here is its invoice.", "success")
    return redirect(url_for("shop.invoice", number=invoice_of(order).number), 303)
