"""The shop's privacy notice: owners publish new versions; every version is kept."""

from __future__ import annotations

from . import bp  # noqa: F401
