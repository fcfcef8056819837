"""Customers section of the console (being built)."""

from __future__ import annotations

from . import bp
from .auth import team_required


@bp.get("/customers")
@team_required
def customers() -> str:
    """Customers."""
    return "Customers"
