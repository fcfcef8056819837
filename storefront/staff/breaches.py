"""The breach register: the 72-hour clock to the Commissioner and each shop's notice to its customers."""

from __future__ import annotations

from . import bp  # noqa: F401
