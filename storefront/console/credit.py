"""Credit notes and money owed back (owners only): the list of credit notes, one note with the record of
its refund, and "Refunds and credit", every overpayment and refund still to give back in one place.

Credit notes are issued from the order's page (``orders.py``); a customer's account credit is on
the customer's page (``customers.py``).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..commerce.account_credit import credit_refund_due
from ..commerce.credit_book import credit_note_page, credit_note_record, credit_refunds_to_make
from ..commerce.credit_notes import METHOD_LABELS, OUTCOME_LABELS, credit_note_label, record_credit_refund
from ..commerce.invoices import invoice_label
from ..commerce.order_book import who_recorded
from ..commerce.refunds import RefundClosed, RefundError, mark_refunded, refunds_to_make, shop_refund
from ..extensions import db
from ..models import Invoice, RefundDue
from ..paging import page_number
from . import bp
from .auth import owner_required, record_team_action, record_team_list
from .credit_forms import CreditRefundForm, first_problem

NUMBER = "<int(max=2147483647):credit_note_number>"
INVOICE = "<int(max=2147483647):invoice_number>"


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
    """Every refund to make or credit to give: credit notes to refund, charges no invoice accepted and
    renewals paid after their service ended."""
    return _refunds_page()


def _refunds_page(error: str | None = None) -> str:
    """Render the refunds and credit screen, audited as a list (the caller answers its status)."""
    notes = credit_refunds_to_make(g.shop.id)
    overpayments = refunds_to_make(g.shop.id)
    shown = [row.customer_id for row in notes] + [row.customer_id for row in overpayments]
    record_team_list("refunds", shown)
    db.session.commit()
    return render_template("console/refunds.html", notes=notes, overpayments=overpayments, error=error)


@bp.post(f"/refunds/{INVOICE}/refunded")
@owner_required
def overpayment_refunded(invoice_number: int) -> Response | tuple[str, int]:
    """Record that an overpayment on one of the shop's invoices went back, with the refund's reference."""
    refund = shop_refund(g.shop.id, invoice_number, request.form.get("charge", "")[:120])
    if refund is None:
        abort(404)
    customer_id = refund_customer(refund)
    try:
        mark_refunded(refund, request.form.get("reference", "")[:200], f"team:{current_user.id}")
    except RefundClosed as error:
        db.session.rollback()
        return _refunds_page(str(error)), 409
    except RefundError as error:
        db.session.rollback()
        return _refunds_page(str(error)), 400
    record_team_action(f"refund:{refund.id}", "refunded", refund.refund_reference, customer_id=customer_id)
    db.session.commit()
    flash(f"The refund for {invoice_label(invoice_number)} is recorded.", "success")
    return redirect(url_for("console.refunds_and_credit"), 303)


@bp.post(f"/refunds/{INVOICE}/credit")
@owner_required
def overpayment_credited(invoice_number: int) -> Response | tuple[str, int]:
    """Give an overpayment on one of the shop's invoices back as the customer's account credit instead."""
    refund = shop_refund(g.shop.id, invoice_number, request.form.get("charge", "")[:120])
    if refund is None:
        abort(404)
    customer_id = refund_customer(refund)
    try:
        entry = credit_refund_due(refund, f"team:{current_user.id}")
    except RefundClosed as error:
        db.session.rollback()
        return _refunds_page(str(error)), 409
    record_team_action(f"refund:{refund.id}", "credited", entry.reason, customer_id=customer_id)
    db.session.commit()
    flash(
        f"The overpayment on {invoice_label(invoice_number)} is now the customer's account credit.", "success"
    )
    return redirect(url_for("console.refunds_and_credit"), 303)


def refund_customer(refund: RefundDue) -> int:
    """Return the customer a refund is owed to (its invoice's)."""
    return db.session.get(Invoice, refund.invoice_id).customer_id
