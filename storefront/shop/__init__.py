"""The storefront: what end customers see on a reseller's host, in the shop's theme."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("shop", __name__)

from . import (  # noqa: E402, F401  (routes register on import)
    account,
    assets,
    attachments,
    auth,
    billing,
    cart,
    checkout,
    notice,
    privacy,
    services,
    tickets,
    views,
)
