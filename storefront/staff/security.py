"""A staff member's second factor: TOTP set-up, recovery codes, and the sign-in code step."""

from __future__ import annotations

from . import bp  # noqa: F401
