"""The shop's orders (owners only): list and filter, each order's record, bank transfers seen arriving,
cancelling an unpaid order with a reason, credit notes issued against a paid invoice, and refunds to
make (charges the gateway took that no invoice accepted), which are recorded as refunded or given to
the customer as account credit.

Marking a transfer paid goes through the same payment service the platform's payments desk uses,
so the invoice, the order, its services, the wholesale ledger and the receipt email move together.
"""

from __future__ import annotations

import secrets

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..billing.shop_actions import ShopActionError, cancel_order_by_shop
from ..billing.unpaid_orders import OrderNotCancellable
from ..commerce.account_credit import credit_refund_due
from ..commerce.credit_book import credit_notes_of_invoice
from ..commerce.credit_notes import CreditNoteError, credit_note_label, creditable_lines, issue_credit_note
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
from ..models import Invoice, InvoiceStatus, Order
from ..paging import page_number
from . import bp
from .auth import owner_required, record_team_action, record_team_list
from .credit_forms import CreditNoteForm, first_problem
from .service_forms import ReasonForm

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


def _order_page(number: int, error: str | None = None, reference: str = "", **credit) -> str:
    record = order_record(g.shop.id, number)
    if record is None:
        abort(404)
    invoice = record.invoice
    paid = invoice is not None and invoice.status == InvoiceStatus.PAID
    form = credit.pop("credit_form", None) or CreditNoteForm(formdata=None)
    cancel_form = credit.pop("cancel_form", None) or ReasonForm(formdata=None)
    if not form.idempotency_key.data:
        form.idempotency_key.data = secrets.token_urlsafe(24)
    return render_template(
        "console/order.html",
        record=record,
        error=error,
        reference=reference,
        gateway_label=gateway_label,
        credit_notes=credit_notes_of_invoice(invoice) if invoice else [],
        creditable=creditable_lines(invoice) if paid else [],
        credit_form=form,
        credit_note_label=credit_note_label,
        cancel_form=cancel_form,
        **credit,
    )


def _refused(order: tuple[int, int], customer_id: int, error: str, reference: str = "", **credit) -> str:
    """Undo a refused step, then show the order (id, number) again with the message; audited too."""
    db.session.rollback()
    record_team_action(f"order:{order[0]}", "view", customer_id=customer_id)
    db.session.commit()
    return _order_page(order[1], error, reference, **credit)


def _order_and_invoice(order_number: int) -> tuple[Order, Invoice]:
    found = shop_order(g.shop.id, order_number)
    invoice = invoice_of(found) if found is not None else None
    if invoice is None:
        abort(404)
    return found, invoice


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
    if request.form.get("back") == "refunds":
        return redirect(url_for("console.refunds_and_credit"), 303)
    return redirect(url_for("console.order", order_number=order_number), 303)


@bp.post(f"/orders/{NUMBER}/credit-notes")
@owner_required
def issue_credit(order_number: int) -> Response | tuple[str, int]:
    """Issue a credit note against the order's paid invoice; the form's key makes a second click harmless."""
    found, invoice = _order_and_invoice(order_number)
    order, customer_id, form = (found.id, order_number), invoice.customer_id, CreditNoteForm()
    if not form.validate():
        return _refused(order, customer_id, first_problem(form), credit_form=form, amounts=request.form), 400
    asked = form.credit_request(creditable_lines(invoice), invoice.currency)
    try:
        note, issued = issue_credit_note(g.shop, invoice, asked, f"team:{current_user.id}")
    except CreditNoteError as error:
        problems = {"credit_form": form, "amounts": request.form, "line_errors": error.line_errors}
        return _refused(order, customer_id, str(error), **problems), 400
    if issued:
        record_team_action(
            f"credit_note:{note.id}", "issue_credit_note", note.reason, customer_id=customer_id
        )
    db.session.commit()
    flash(f"Credit note {credit_note_label(note.number)} is issued.", "success")
    return redirect(url_for("console.credit_note", credit_note_number=note.number), 303)


@bp.post(f"/orders/{NUMBER}/refunds/credit")
@owner_required
def refund_as_credit(order_number: int) -> Response | tuple[str, int]:
    """Give a charge the invoice refused back to the customer as account credit instead of a refund."""
    found, invoice = _order_and_invoice(order_number)
    refund = find_refund(invoice, request.form.get("charge", "")[:120])
    if refund is None:
        abort(404)
    customer_id, order = invoice.customer_id, (found.id, order_number)
    try:
        entry = credit_refund_due(refund, f"team:{current_user.id}")
    except RefundClosed as error:
        return _refused(order, customer_id, str(error)), 409
    record_team_action(f"refund:{refund.id}", "credited", entry.reason, customer_id=customer_id)
    db.session.commit()
    flash(
        f"The overpayment on {invoice_label(invoice.number)} is now the customer's account credit.", "success"
    )
    if request.form.get("back") == "refunds":
        return redirect(url_for("console.refunds_and_credit"), 303)
    return redirect(url_for("console.order", order_number=order_number), 303)


@bp.post(f"/orders/{NUMBER}/cancel")
@owner_required
def cancel_order(order_number: int) -> Response | tuple[str, int]:
    """Cancel an unpaid order and its invoice with a reason the customer is emailed; a paid one is refused."""
    found, invoice = _order_and_invoice(order_number)
    order, customer_id, form = (found.id, order_number), invoice.customer_id, ReasonForm()
    try:
        if not form.validate():
            raise ShopActionError(first_problem(form))
        cancel_order_by_shop(g.shop, found, f"team:{current_user.id}", form.reason.data)
    except ShopActionError as error:
        return _refused(order, customer_id, str(error), cancel_form=form), 400
    except OrderNotCancellable as error:
        return _refused(order, customer_id, str(error), cancel_form=form), 409
    record_team_action(
        f"order:{found.id}", "cancel_order", " ".join(form.reason.data.split()), customer_id=customer_id
    )
    db.session.commit()
    flash(
        f"Order #{order_number} is cancelled with its invoice; the customer has been emailed why.", "success"
    )
    return redirect(url_for("console.order", order_number=order_number), 303)
