"""Returning customers read and accept a new version of the shop's privacy notice."""

from __future__ import annotations

from . import bp  # noqa: F401
