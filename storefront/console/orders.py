"""Orders section of the console (being built)."""

from __future__ import annotations

from . import bp
from .auth import owner_required


@bp.get("/orders")
@owner_required
def orders() -> str:
    """Orders."""
    return "Orders"
