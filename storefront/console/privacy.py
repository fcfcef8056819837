"""Correction requests: the team answers and closes them within the 21-day clock."""

from __future__ import annotations

from . import bp  # noqa: F401
