"""The admin desk: shops, wholesale plans and staff accounts with their roles."""

from __future__ import annotations

from . import bp  # noqa: F401
