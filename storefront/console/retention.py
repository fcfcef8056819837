"""How long the shop keeps closed accounts and closed tickets."""

from __future__ import annotations

from . import bp  # noqa: F401
