"""Record references as a shop reads them: the audit log names rows by id (``ticket:412``), and
whatever a shop's team or customer sees of it names them by the shop's own number ("ticket 3").

Ids never reach a shop: a reference that names no row of the shop shows as its kind alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, String, literal, select, union_all

from ..commerce.credit_notes import credit_note_label
from ..commerce.invoices import invoice_label
from ..extensions import db
from ..models import (
    CorrectionRequest,
    CreditNote,
    Customer,
    Domain,
    Invoice,
    Order,
    Service,
    TeamInvitation,
    TeamMember,
    Ticket,
)

NUMBERED = {
    "customer": Customer,
    "order": Order,
    "invoice": Invoice,
    "credit_note": CreditNote,
    "service": Service,
    "ticket": Ticket,
    "correction": CorrectionRequest,
    "domain": Domain,
    "team_member": TeamMember,
    "team_invitation": TeamInvitation,
}
# The kinds that belong to one customer.
CUSTOMER_OWNED = frozenset({"customer", "order", "invoice", "credit_note", "service", "ticket", "correction"})
ID_DIGITS = 10
# References that already count per shop, shown as written.
SHOP_SEQUENCES = frozenset({"privacy_notice"})


def _row_id(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= ID_DIGITS else None


def _numbers_of(reseller_id: int, kind: str, ids: set[int], customer_id: int | None) -> Select:
    model = NUMBERED[kind]
    query = select(literal(kind, String), model.id, model.number).where(
        model.reseller_id == reseller_id, model.id.in_(sorted(ids))
    )
    if customer_id is not None:
        query = query.where((model.id if model is Customer else model.customer_id) == customer_id)
    return query


def shop_numbers(reseller_id: int, records: Iterable[str], customer_id: int | None = None) -> dict[str, int]:
    """Return the shop's number of each ``kind:<id>`` reference naming one of its rows (only the
    customer's own rows, when ``customer_id`` is given), in one query."""
    wanted: dict[str, set[int]] = {}
    for record in records:
        kind, _, raw = (record or "").partition(":")
        row_id = _row_id(raw)
        if kind in (CUSTOMER_OWNED if customer_id is not None else NUMBERED) and row_id is not None:
            wanted.setdefault(kind, set()).add(row_id)
    if not wanted:
        return {}
    queries = [_numbers_of(reseller_id, kind, ids, customer_id) for kind, ids in wanted.items()]
    found = db.session.execute(union_all(*queries))
    return {f"{kind}:{row_id}": number for kind, row_id, number in found}


def shop_reference(record: str, numbers: dict[str, int]) -> str:
    """Return a reference as the shop's team reads it: "ticket 3", "invoice INV-000002", or its kind."""
    kind, _, raw = (record or "").partition(":")
    words = kind.replace("_", " ")
    number = int(raw) if kind in SHOP_SEQUENCES and _row_id(raw) else numbers.get(record)
    if number is None:
        return words
    if kind == "invoice":
        return f"invoice {invoice_label(number)}"
    if kind == "credit_note":
        return f"credit note {credit_note_label(number)}"
    return f"{words} {number}"
