"""A checkout form's idempotency key, bound to the customer and to the cart it was made for.

The key is a random nonce followed by an HMAC of the shop, the customer, the priced cart and the
nonce, so it needs no storage. The same form sent twice (a double click) carries a key that still
fits, and makes one order; a key from another customer, or from a page opened for another cart (a
stale tab), does not fit, and the cart is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

from ..branding.shops import ShopLike
from ..models import Customer
from .cart import PricedCart

NONCE_LENGTH = 22  # secrets.token_urlsafe(16)
MAC_LENGTH = 32


def mint_checkout_key(shop: ShopLike, customer: Customer, cart: PricedCart) -> str:
    """Return a fresh key for a checkout form showing ``cart`` to ``customer``."""
    nonce = secrets.token_urlsafe(16)
    return nonce + _mac(shop, customer, cart, nonce)


def key_fits(shop: ShopLike, customer: Customer, cart: PricedCart, key: str) -> bool:
    """Whether ``key`` was made at this shop for this customer and exactly this cart."""
    if len(key) != NONCE_LENGTH + MAC_LENGTH:
        return False
    nonce, mac = key[:NONCE_LENGTH], key[NONCE_LENGTH:]
    return hmac.compare_digest(mac, _mac(shop, customer, cart, nonce))


def _fingerprint(cart: PricedCart) -> str:
    """The cart as the customer saw it: each item, plan, billing period and price."""
    return ";".join(
        f"{line.item_id},{line.offer.plan.code},{line.cycle.value},{line.amount_minor},{line.currency}"
        for line in cart.lines
    )


def _mac(shop: ShopLike, customer: Customer, cart: PricedCart, nonce: str) -> str:
    secret = hmac.new(current_app.config["SECRET_KEY"].encode(), b"checkout-key", hashlib.sha256).digest()
    message = f"{shop.id}\n{customer.id}\n{_fingerprint(cart)}\n{nonce}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:MAC_LENGTH]
