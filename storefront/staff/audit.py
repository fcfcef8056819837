"""Searching the audit log."""

from __future__ import annotations

from . import bp  # noqa: F401
