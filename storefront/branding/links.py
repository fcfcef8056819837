"""Absolute links to a shop, always on its own primary domain, never on a host a client sent."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Domain
from .shops import ShopLike


def primary_host(shop: ShopLike) -> str:
    """Return the shop's primary verified domain, or its slug host when it has none.

    Development sets SHOP_URLS_ON_SLUG_HOST, where custom domains do not resolve.
    """
    if current_app.config["SHOP_URLS_ON_SLUG_HOST"]:
        return f"{shop.slug}.{current_app.config['STOREFRONT_BASE_DOMAIN']}"
    hostname = db.session.scalar(
        select(Domain.hostname).where(
            Domain.reseller_id == shop.id, Domain.is_primary.is_(True), Domain.verified_at.is_not(None)
        )
    )
    return hostname or f"{shop.slug}.{current_app.config['STOREFRONT_BASE_DOMAIN']}"


def shop_url(shop: ShopLike, path: str) -> str:
    """Return an absolute URL on the shop's primary domain for ``path``."""
    config = current_app.config
    port = config["SHOP_URL_PORT"]
    authority = primary_host(shop) + (f":{port}" if port else "")
    return f"{config['SHOP_URL_SCHEME']}://{authority}{path}"
