"""Writing the audit log: who looked at or changed a customer's data, in which role, and why."""

from __future__ import annotations

from flask import g, has_request_context, request

from ..extensions import db
from ..models import AuditEntry


def request_id() -> str:
    """Return the current request's id (from the proxy's X-Request-Id, else one made here)."""
    if not has_request_context():
        return ""
    if "request_id" not in g:
        import secrets

        g.request_id = (request.headers.get("X-Request-Id") or secrets.token_hex(8))[:64]
    return g.request_id


def record(
    actor: str,
    role: str,
    reseller_id: int | None,
    subject: str,
    action: str,
    reason: str = "",
    customer_id: int | None = None,
) -> None:
    """Append an audit entry in the caller's transaction; ``customer_id`` names whose data it was."""
    db.session.add(
        AuditEntry(
            actor=actor[:60],
            actor_role=role[:40],
            reseller_id=reseller_id,
            record=subject[:60],
            action=action[:40],
            reason=reason[:300],
            request_id=request_id(),
            customer_id=customer_id,
        )
    )
