"""Pricing section of the console (being built)."""

from __future__ import annotations

from . import bp
from .auth import owner_required


@bp.get("/pricing")
@owner_required
def pricing() -> str:
    """Pricing."""
    return "Pricing"
