"""Writing the audit log: who looked at or changed a customer's data, in which role, and why."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from flask import g, has_request_context, request
from sqlalchemy import insert

from .extensions import db
from .models import AuditEntry

# What a proxy's request id looks like (a UUID, a hex string); anything else is replaced.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def request_id() -> str:
    """Return the current request's id: the proxy's X-Request-Id when it looks like one, else one
    made here (a client cannot write arbitrary text into the audit log through the header)."""
    if not has_request_context():
        return ""
    if "request_id" not in g:
        sent = request.headers.get("X-Request-Id", "")
        g.request_id = sent if REQUEST_ID.fullmatch(sent) else secrets.token_hex(8)
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


def record_list(
    actor: str,
    role: str,
    reseller_id: int | None,
    subject: str,
    shown: Iterable[tuple[int, int | None]],
    reason: str = "",
) -> None:
    """Append a list page's entry and one more per customer it showed, in one statement; the caller commits.

    ``shown`` holds the (shop id, customer id) of each row on the page; a row without a customer (a
    guest's ticket) adds nothing, and a customer shown twice gets one entry. The customers' entries
    carry ``subject`` and the action "list", so each one's access log can say which list they were in.
    """
    common = {
        "actor": actor[:60],
        "actor_role": role[:40],
        "record": subject[:60],
        "action": "list",
        "reason": reason[:300],
        "request_id": request_id(),
    }
    customers = dict.fromkeys((shop, customer) for shop, customer in shown if customer is not None)
    rows = [{**common, "reseller_id": reseller_id, "customer_id": None}]
    rows += [{**common, "reseller_id": shop, "customer_id": customer} for shop, customer in customers]
    # The table's INSERT: one statement for all (the ORM's would split off the rows without a customer).
    db.session.execute(insert(AuditEntry.__table__), rows)
