"""The disclosure register: what customer data went outside, to whom, why and on what basis."""

from __future__ import annotations

from . import bp  # noqa: F401
