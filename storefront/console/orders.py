"""The shop's orders (owners only): list and filter, each order's record, bank transfers seen arriving,
and refunds to make (charges the gateway took that no invoice accepted).

Marking a transfer paid goes through the same payment service the platform's payments desk uses,
so the invoice, the order, its services, the wholesale ledger and the receipt email move together.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..commerce.customer_directory import clean_search
from ..commerce.invoices import invoice_label
from ..commerce.order_book import BadFilter, order_page, order_record, shop_order, status_filter
from ..commerce.orders import invoice_of
from ..commerce.payments import InvoiceClosed, PaymentRefused, mark_bank_transfer_paid
from ..commerce.refunds import (
    RefundClosed,
    RefundError,
    find_refund,
    gateway_label,
    mark_refunded,
    refunds_to_make,
)
from ..extensions import db
from ..htmx import is_htmx
from ..paging import page_number
from . import bp
from .auth import owner_required, record_team_action, record_team_list

NUMBER = "<int(max=2147483647):order_number>"


@bp.get("/orders")
@owner_required
def orders() -> str | tuple[str, int]:
    """The shop's orders, newest first, filtered by status and searched by number or customer email."""
    term = clean_search(request.args.get("q"))
    try:
        status = status_filter(request.args.get("status"))
    except BadFilter as error:
        return render_template("console/orders.html", listing=None, error=str(error)), 400
    page = page_number(request.args.get("page"))
    listing = order_page(g.shop.id, status, term, page)
    refunds = [] if is_htmx() else refunds_to_make(g.shop.id)
    shown = [row.customer_id for row in listing.rows] + [row.customer_id for row in refunds]
    record_team_list("orders", shown, f"search of {len(term)} characters, page {page}")
    db.session.commit()
    template = "console/_order_list.html" if is_htmx() else "console/orders.html"
    return render_template(template, listing=listing, refunds=refunds, error=None)


def _order_page(number: int, error: str | None = None, reference: str = "") -> str:
    record = order_record(g.shop.id, number)
    if record is None:
        abort(404)
    return render_template(
        "console/order.html", record=record, error=error, reference=reference, gateway_label=gateway_label
    )


def _refused(order: tuple[int, int], customer_id: int, error: str, reference: str = "") -> str:
    """Undo a refused step, then show the order (id, number) again with the message; audited too."""
    db.session.rollback()
    record_team_action(f"order:{order[0]}", "view", customer_id=customer_id)
    db.session.commit()
    return _order_page(order[1], error, reference)


@bp.get(f"/orders/{NUMBER}")
@owner_required
def order(order_number: int) -> str:
    """One order with its lines, invoice, payment and services; the view is audited."""
    found = shop_order(g.shop.id, order_number)
    if found is None:
        abort(404)
    record_team_action(f"order:{found.id}", "view", customer_id=found.customer_id)
    db.session.commit()
    return _order_page(order_number)


@bp.post(f"/orders/{NUMBER}/bank-transfer")
@owner_required
def bank_transfer(order_number: int) -> Response | tuple[str, int]:
    """Mark the order's invoice paid by a bank transfer the owner has seen arrive, with its reference."""
    found = shop_order(g.shop.id, order_number)
    invoice = invoice_of(found) if found is not None else None
    if invoice is None:
        abort(404)
    reference = request.form.get("reference", "")[:200]
    customer_id, order = invoice.customer_id, (found.id, order_number)
    record_team_action(
        f"invoice:{invoice.id}", "bank_transfer", f"order {order_number}", customer_id=customer_id
    )
    try:
        mark_bank_transfer_paid(invoice, reference, recorded_by=f"team:{current_user.id}")
    except InvoiceClosed as error:
        return _refused(order, customer_id, f"{error} Nothing was changed."), 409
    except PaymentRefused as error:
        return _refused(order, customer_id, str(error), reference), 400
    flash(f"{invoice_label(invoice.number)} is paid; the customer has been sent a receipt.", "success")
    return redirect(url_for("console.order", order_number=order_number), 303)


@bp.post(f"/orders/{NUMBER}/refunds")
@owner_required
def refund_made(order_number: int) -> Response | tuple[str, int]:
    """Record that a charge the invoice refused went back to the customer, with the refund's reference."""
    found = shop_order(g.shop.id, order_number)
    invoice = invoice_of(found) if found is not None else None
    refund = find_refund(invoice, request.form.get("charge", "")[:120]) if invoice is not None else None
    if refund is None:
        abort(404)
    customer_id, order = invoice.customer_id, (found.id, order_number)
    try:
        mark_refunded(refund, request.form.get("reference", "")[:200], f"team:{current_user.id}")
    except RefundClosed as error:
        return _refused(order, customer_id, str(error)), 409
    except RefundError as error:
        return _refused(order, customer_id, str(error)), 400
    record_team_action(f"refund:{refund.id}", "refunded", refund.refund_reference, customer_id=customer_id)
    db.session.commit()
    flash(f"The refund for {invoice_label(invoice.number)} is recorded.", "success")
    return redirect(url_for("console.order", order_number=order_number), 303)
