"""The privacy centre: a customer sees, downloads and corrects what the shop holds about them."""

from __future__ import annotations

from . import bp  # noqa: F401
