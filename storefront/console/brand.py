"""Brand section of the console (being built)."""

from __future__ import annotations

from . import bp
from .auth import owner_required


@bp.get("/brand")
@owner_required
def brand() -> str:
    """Brand."""
    return "Brand"
