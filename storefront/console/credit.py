"""Credit notes and money owed back (owners only): the list of credit notes, one note with the record of
its refund, and "Refunds and credit", every overpayment and refund still to give back in one place.

Credit notes are issued from the order's page (``orders.py``); a customer's account credit is on
the customer's page (``customers.py``).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..commerce.account_credit import credit_refund_due
from ..commerce.credit_book import credit_note_page, credit_note_record, credit_refunds_to_make
from ..commerce.credit_notes import METHOD_LABELS, OUTCOME_LABELS, credit_note_label, record_credit_refund
from ..commerce.invoices import invoice_label
from ..commerce.order_book import who_recorded
from ..commerce.refunds import RefundClosed, RefundError, find_refund, mark_refunded, refunds_to_make
from ..extensions import db
from ..models import Invoice, RefundDue
from ..paging import page_number
from . import bp
from .auth import owner_required, record_team_action, record_team_list
from .credit_forms import CreditRefundForm, first_problem

NUMBER = "<int(max=2147483647):credit_note_number>"


@bp.get("/credit-notes")
@owner_required
def credit_notes() -> str:
    """The shop's credit notes, newest first, 25 to a page."""
    page = page_number(request.args.get("page"))
    listing = credit_note_page(g.shop.id, page)
    record_team_list("credit_notes", [row.customer_id for row in listing.rows], f"page {page}")
    db.session.commit()
    return render_template("console/credit_notes.html", listing=listing)


def _note_page(number: int, form: CreditRefundForm | None = None, error: str | None = None) -> str:
    record = credit_note_record(g.shop.id, number)
    if record is None:
        abort(404)
    return render_template(
        "console/credit_note.html",
        record=record,
        form=form or CreditRefundForm(formdata=None),
        error=error,
        label=credit_note_label,
        outcome_labels=OUTCOME_LABELS,
        method_labels=METHOD_LABELS,
        issued_by=who_recorded(g.shop.id, record.note.issued_by),
        refunded_by=who_recorded(g.shop.id, record.note.refunded_by or ""),
    )


@bp.get(f"/credit-notes/{NUMBER}")
@owner_required
def credit_note(credit_note_number: int) -> str:
    """One credit note with its lines, what the money became, and the refund once recorded; audited."""
    number = credit_note_number
    record = credit_note_record(g.shop.id, number)
    if record is None:
        abort(404)
    record_team_action(f"credit_note:{record.note.id}", "view", customer_id=record.note.customer_id)
    db.session.commit()
    return _note_page(number)


@bp.post(f"/credit-notes/{NUMBER}/refund")
@owner_required
def credit_note_refunded(credit_note_number: int) -> Response | tuple[str, int]:
    """Record how a credit note's money went back to the customer, with the refund's reference, once."""
    number = credit_note_number
    record = credit_note_record(g.shop.id, number)
    if record is None:
        abort(404)
    note, form = record.note, CreditRefundForm()
    try:
        if not form.validate():
            raise RefundError(first_problem(form))
        record_credit_refund(note, form.method.data, form.reference.data, f"team:{current_user.id}")
    except RefundClosed as error:
        return _refused(note.id, note.customer_id, number, form, str(error)), 409
    except RefundError as error:
        return _refused(note.id, note.customer_id, number, form, str(error)), 400
    record_team_action(
        f"credit_note:{note.id}", "refunded", form.reference.data, customer_id=note.customer_id
    )
    db.session.commit()
    flash(f"The refund of credit note {credit_note_label(number)} is recorded.", "success")
    return redirect(url_for("console.credit_note", credit_note_number=number), 303)


def _refused(note_id: int, customer_id: int, number: int, form: CreditRefundForm, error: str) -> str:
    """Undo the refused step and show the note again with the message; the view is audited."""
    db.session.rollback()
    record_team_action(f"credit_note:{note_id}", "view", customer_id=customer_id)
    db.session.commit()
    return _note_page(number, form, error)


@bp.get("/refunds")
@owner_required
def refunds_and_credit() -> str:
    """Every refund to make or credit to give: credit notes to refund and charges no invoice accepted."""
    notes = credit_refunds_to_make(g.shop.id)
    overpayments = refunds_to_make(g.shop.id)
    shown = [row.customer_id for row in notes] + [row.customer_id for row in overpayments]
    record_team_list("refunds", shown)
    db.session.commit()
    return render_template("console/refunds.html", notes=notes, overpayments=overpayments)


INVOICE = "<int(max=2147483647):invoice_number>"


def _refund_of_invoice(invoice_number: int) -> tuple[Invoice, RefundDue]:
    invoice = db.session.scalar(
        select(Invoice).where(Invoice.reseller_id == g.shop.id, Invoice.number == invoice_number)
    )
    refund = find_refund(invoice, request.form.get("charge", "")[:120]) if invoice is not None else None
    if refund is None:
        abort(404)
    return invoice, refund


def _refunds_page_refused(error: str, status: int) -> tuple[str, int]:
    db.session.rollback()
    flash(error, "error")
    return refunds_and_credit(), status


@bp.post(f"/refunds/invoices/{INVOICE}/refunded")
@owner_required
def invoice_refund_made(invoice_number: int) -> Response | tuple[str, int]:
    """Record that a charge an invoice refused (an order's or a renewal's) went back, with its reference."""
    invoice, refund = _refund_of_invoice(invoice_number)
    try:
        mark_refunded(refund, request.form.get("reference", "")[:200], f"team:{current_user.id}")
    except RefundClosed as error:
        return _refunds_page_refused(str(error), 409)
    except RefundError as error:
        return _refunds_page_refused(str(error), 400)
    record_team_action(
        f"refund:{refund.id}", "refunded", refund.refund_reference, customer_id=invoice.customer_id
    )
    db.session.commit()
    flash(f"The refund for {invoice_label(invoice.number)} is recorded.", "success")
    return redirect(url_for("console.refunds_and_credit"), 303)


@bp.post(f"/refunds/invoices/{INVOICE}/credited")
@owner_required
def invoice_refund_as_credit(invoice_number: int) -> Response | tuple[str, int]:
    """Give a charge an invoice refused back to the customer as account credit instead of a refund."""
    invoice, refund = _refund_of_invoice(invoice_number)
    try:
        entry = credit_refund_due(refund, f"team:{current_user.id}")
    except RefundClosed as error:
        return _refunds_page_refused(str(error), 409)
    record_team_action(f"refund:{refund.id}", "credited", entry.reason, customer_id=invoice.customer_id)
    db.session.commit()
    flash(
        f"The overpayment on {invoice_label(invoice.number)} is now the customer's account credit.", "success"
    )
    return redirect(url_for("console.refunds_and_credit"), 303)
