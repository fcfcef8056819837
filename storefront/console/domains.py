"""Domains section of the console (being built)."""

from __future__ import annotations

from . import bp
from .auth import owner_required


@bp.get("/domains")
@owner_required
def domains() -> str:
    """Domains."""
    return "Domains"
