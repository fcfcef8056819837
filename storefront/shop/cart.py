"""The cart: add, change the billing period, remove; htmx swaps the cart and the header badge."""

from __future__ import annotations

from flask import abort, g, make_response, redirect, request, session, url_for
from werkzeug.wrappers import Response

from ..branding.theming import render_themed
from ..commerce.cart import CartError, add_item, change_cycle, price_cart, remove_item
from ..htmx import hx_response, is_htmx
from . import bp

CART_CHANGED = {"cart-changed": True}


def cart_items() -> list[dict]:
    """Return the items kept in the session, ignoring anything malformed."""
    items = session.get("cart")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _save(items: list[dict]) -> None:
    session["cart"] = items


def _cart_answer(error: str | None = None) -> Response:
    """htmx gets the cart fragment and a badge event; a plain form goes back to the cart page."""
    priced = price_cart(g.shop, cart_items())
    if is_htmx():
        body = render_themed("cart/_cart.html", cart=priced, error=error)
        return hx_response(make_response(body), trigger=CART_CHANGED)
    if error:
        return make_response(render_themed("cart/cart.html", cart=priced, error=error), 400)
    return redirect(url_for("shop.cart"), 303)


@bp.get("/cart")
def cart() -> str:
    """The cart page, or its fragment for htmx."""
    template = "cart/_cart.html" if is_htmx() else "cart/cart.html"
    return render_themed(template, cart=price_cart(g.shop, cart_items()), error=None)


@bp.get("/cart/badge")
def cart_badge() -> str:
    """The header's cart link with its count."""
    return render_themed("cart/_badge.html", count=len(cart_items()))


@bp.post("/cart/add")
def cart_add() -> Response:
    """Put a plan in the cart with a billing period."""
    try:
        _save(add_item(g.shop, cart_items(), request.form.get("plan", ""), request.form.get("cycle", "")))
    except CartError as error:
        return _cart_answer(str(error))
    return _cart_answer()


@bp.post("/cart/<item_id>/cycle")
def cart_cycle(item_id: str) -> Response:
    """Change an item's billing period."""
    try:
        _save(change_cycle(g.shop, cart_items(), item_id, request.form.get("cycle", "")))
    except CartError as error:
        return _cart_answer(str(error))
    return _cart_answer()


@bp.post("/cart/<item_id>/remove")
def cart_remove(item_id: str) -> Response:
    """Take an item out of the cart."""
    if len(item_id) > 16:
        abort(404)
    _save(remove_item(cart_items(), item_id))
    return _cart_answer()
