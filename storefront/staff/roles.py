"""Least privilege on the staff host: each route names the roles that may use it.

Support works escalations, billing works orders and provisioning, and admin manages
resellers, plans, staff and reads the audit log (and may cover every desk). What staff see and do
is audited in their name through record_staff_action and record_staff_list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .. import audit
from ..models import StaffRole
from ..support.escalation_screen import ESCALATION_DESK

BILLING_DESK = (StaffRole.BILLING, StaffRole.ADMIN)
ADMIN_DESK = (StaffRole.ADMIN,)

__all__ = [
    "ADMIN_DESK",
    "BILLING_DESK",
    "ESCALATION_DESK",
    "record_staff_action",
    "record_staff_list",
    "role_required",
]


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


def record_staff_action(
    reseller_id: int | None, subject: str, action: str, reason: str = "", customer_id: int | None = None
) -> None:
    """Write what the signed-in staff member did to ``subject`` to the audit log; the caller commits.

    ``customer_id`` names the customer whose data was seen or changed, for their access log.
    """
    actor, role = f"staff:{current_user.id}", current_user.role.value
    audit.record(actor, role, reseller_id, subject, action, reason, customer_id)


def record_staff_list(
    reseller_id: int | None, subject: str, shown: Iterable[tuple[int, int | None]], reason: str = ""
) -> None:
    """Audit a list page the signed-in staff member saw, with each (shop, customer) on it; caller commits."""
    actor, role = f"staff:{current_user.id}", current_user.role.value
    audit.record_list(actor, role, reseller_id, subject, shown, reason)
