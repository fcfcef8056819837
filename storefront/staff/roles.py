"""Least privilege on the staff host: each route names the roles that may use it.

Support works escalations, billing works orders and provisioning, and admin manages
resellers, plans, staff and reads the audit log (and may cover every desk).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from ..models import StaffRole
from ..services.escalation_screen import ESCALATION_DESK

BILLING_DESK = (StaffRole.BILLING, StaffRole.ADMIN)
ADMIN_DESK = (StaffRole.ADMIN,)

__all__ = ["ADMIN_DESK", "BILLING_DESK", "ESCALATION_DESK", "role_required"]


def role_required(*roles: StaffRole) -> Callable:
    """Let signed-in staff with one of ``roles`` through; others get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def guarded(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorator
