"""Statement section of the console (being built)."""

from __future__ import annotations

from . import bp
from .auth import owner_required


@bp.get("/statement")
@owner_required
def statement() -> str:
    """Statement."""
    return "Statement"
