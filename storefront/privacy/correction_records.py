"""What a correction request is about, as the shop's team reads it: an invoice, an order, a service.

A request names its record by the shop's number, ``invoice:<number>``, ``order:<number>`` or
``service:<number>`` (anything else is shown as written). A record is looked up only in the shop,
and named only if it is the requesting customer's own; a page of any number of requests costs one
query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import String, cast, literal_column, null, select, union_all

from ..commerce.invoices import invoice_label
from ..domain_names import display_domain
from ..extensions import db
from ..models import Invoice, Order, OrderLine, Service

RECORD_KINDS = {"invoice": "Invoice", "order": "Order", "service": "Service"}
_RECORD = re.compile(r"(invoice|order|service):([0-9]{1,9})")


@dataclass(frozen=True)
class RecordView:
    """The record a request is about, as the team sees it; ``order_number`` leads to its order.

    ``found`` is True when the label names one of the customer's own invoices, orders or services.
    """

    label: str
    order_number: int | None = None
    found: bool = False


def _parse_record(record: str) -> tuple[str, int] | None:
    match = _RECORD.fullmatch(record or "")
    return (match.group(1), int(match.group(2))) if match else None


def _lookup(reseller_id: int, refs: set[tuple[str, int]]) -> dict[tuple[str, int], tuple]:
    """Return (customer id, order number, domain) of each record named, in one query."""
    numbers = {kind: [number for named, number in refs if named == kind] for kind in RECORD_KINDS}
    invoices = (
        select(
            literal_column("'invoice'", String),
            Invoice.number,
            Invoice.customer_id,
            Order.number,
            cast(null(), String),
        )
        .outerjoin(Order, Order.id == Invoice.order_id)
        .where(Invoice.reseller_id == reseller_id, Invoice.number.in_(numbers["invoice"]))
    )
    orders = select(
        literal_column("'order'", String), Order.number, Order.customer_id, Order.number, cast(null(), String)
    ).where(Order.reseller_id == reseller_id, Order.number.in_(numbers["order"]))
    services = (
        select(
            literal_column("'service'", String),
            Service.number,
            Service.customer_id,
            Order.number,
            Service.domain,
        )
        .join(OrderLine, OrderLine.id == Service.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Service.reseller_id == reseller_id, Service.number.in_(numbers["service"]))
    )
    found = db.session.execute(union_all(invoices, orders, services)).all()
    return {(kind, number): (customer, order, detail) for kind, number, customer, order, detail in found}


def _view(ref: tuple[str, int] | None, record: str, customer_id: int, found: dict) -> RecordView:
    if ref is None:
        return RecordView("Other data (see the customer's words)" if record in ("", "other") else record)
    hit = found.get(ref)
    if hit is None or hit[0] != customer_id:  # another customer's record is never named
        return RecordView(f"{RECORD_KINDS[ref[0]]} (not found among this customer's records)")
    kind, number = ref
    _, order_number, domain = hit
    if kind == "invoice":
        return RecordView(f"Invoice {invoice_label(number)}", order_number, True)
    if kind == "order":
        return RecordView(f"Order #{number}", order_number, True)
    return RecordView(f"Service {display_domain(domain)}", order_number, True)


def record_views(reseller_id: int, wanted: list[tuple[str, int]]) -> list[RecordView]:
    """Return how each (record, customer id) reads, looked up in the shop and only as that customer's."""
    refs = [_parse_record(record) for record, _ in wanted]
    found = _lookup(reseller_id, {ref for ref in refs if ref})
    return [_view(ref, record, customer, found) for ref, (record, customer) in zip(refs, wanted, strict=True)]
