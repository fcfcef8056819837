"""Rate limits on sign-in and password reset: per case-folded email and per client address."""

from __future__ import annotations

from flask import Flask, g, request
from flask_limiter.util import get_remote_address

from .extensions import limiter


def email_key() -> str:
    """Key a limit on the shop and the case-folded email the form names."""
    email = (request.form.get("email") or "").strip().casefold()
    return f"email:{g.shop.id if g.get('shop') else 'staff'}:{email}"


def address_key() -> str:
    """Key a limit on the client's address (as the proxy set-up reports it)."""
    return f"address:{get_remote_address()}"


def init_app(app: Flask) -> None:
    """Bind the limiter; storage comes from RATELIMIT_STORAGE_URI."""
    limiter.init_app(app)
