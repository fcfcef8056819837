"""The platform staff console: only on the staff host, under /staff."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from . import (  # noqa: E402, F401  (routes register on import)
    admin,
    attachments,
    audit,
    breaches,
    disclosures,
    escalations,
    orders,
    plans,
    security,
    shops,
    triage,
    views,
)
