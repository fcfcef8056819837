"""The reseller's console: its team, on the shop's own host, under /console; unthemed."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")

from . import (  # noqa: E402, F401  (routes register on import)
    audit,
    auth,
    billing_settings,
    brand,
    credit,
    customers,
    domains,
    held_mail,
    home,
    orders,
    pricing,
    privacy,
    privacy_notice,
    retention,
    security,
    services,
    settings,
    statement,
    team,
    tickets,
)
