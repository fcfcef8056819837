"""The owner's view of the audit log: who saw or changed the shop's customers' data."""

from __future__ import annotations

from . import bp  # noqa: F401
