"""Team section of the console (being built)."""

from __future__ import annotations

from . import bp
from .auth import owner_required


@bp.get("/team")
@owner_required
def team() -> str:
    """Team."""
    return "Team"
