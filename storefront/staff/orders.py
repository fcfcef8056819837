"""Staff work queues: provisioning paid services, confirming bank transfers, refunds to make.

Both queues show customers' domains and invoices across shops, so each page is audited with an
entry for every customer on it, and each change with an entry for its customer.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..commerce.invoices import invoice_label
from ..commerce.payments import InvoiceClosed, PaymentRefused, mark_bank_transfer_paid
from ..commerce.refunds import RefundClosed, RefundError, mark_refunded, refunds_to_make
from ..extensions import db
from ..fulfilment.provisioning import ProvisioningError, activate, pending_services, unpaid_invoices
from ..models import Invoice, RefundDue
from . import bp
from .roles import BILLING_DESK, record_staff_action, record_staff_list, role_required


def _provisioning_page(error: str | None = None, kept: dict | None = None) -> str:
    """The queue of services to set up, audited with each customer on it; ``kept`` refills a refused form."""
    queue = pending_services()
    shown = [(item.service.reseller_id, item.service.customer_id) for item in queue]
    record_staff_list(None, "provisioning", shown, f"{len(queue)} services waiting")
    page = render_template("staff/provisioning.html", queue=queue, error=error, kept=kept or {})
    db.session.commit()  # after rendering: the queue's services stay loaded
    return page


def _payments_page(error: str | None = None, kept: dict | None = None) -> str:
    """The unpaid invoices and the refunds to make across shops, audited with each customer on it.

    ``kept`` refills a refused form.
    """
    invoices, refunds = unpaid_invoices(), refunds_to_make()
    shown = [(item.invoice.reseller_id, item.invoice.customer_id) for item in invoices]
    shown += [(row.refund.reseller_id, row.customer_id) for row in refunds]
    reason = f"{len(invoices)} invoices unpaid, {len(refunds)} refunds to make"
    record_staff_list(None, "payments", shown, reason)
    page = render_template(
        "staff/payments.html",
        invoices=invoices,
        refunds=refunds,
        label=invoice_label,
        error=error,
        kept=kept or {},
    )
    db.session.commit()  # after rendering: the invoices stay loaded
    return page


@bp.get("/provisioning")
@role_required(*BILLING_DESK)
def provisioning() -> str:
    """Paid services waiting to be set up, across every shop."""
    return _provisioning_page()


@bp.post("/provisioning/<int(max=2147483647):service_id>/activate")
@role_required(*BILLING_DESK)
def activate_service(service_id: int) -> Response | tuple[str, int]:
    """Record the server and username of a set-up service; the customer is told, and it is audited."""
    try:
        service = activate(
            service_id,
            request.form.get("server", "")[:120],
            request.form.get("username", "")[:64],
            actor=f"staff:{current_user.email}",
            commit=False,
        )
    except LookupError:
        abort(404)
    except ProvisioningError as error:
        db.session.rollback()
        kept = {
            "id": service_id,
            **{name: request.form.get(name, "")[:120] for name in ("server", "username")},
        }
        return _provisioning_page(str(error), kept), 400
    record_staff_action(
        service.reseller_id, f"service:{service.id}", "activate", "provisioning desk", service.customer_id
    )
    db.session.commit()
    flash(f"{service.domain} is active; the customer has been told.", "success")
    return redirect(url_for("staff.provisioning"), 303)


@bp.get("/payments")
@role_required(*BILLING_DESK)
def payments() -> str:
    """Unpaid invoices across shops, to match against bank transfers."""
    return _payments_page()


@bp.post("/payments/<int(max=2147483647):invoice_id>/bank-transfer")
@role_required(*BILLING_DESK)
def confirm_bank_transfer(invoice_id: int) -> Response | tuple[str, int]:
    """Mark an invoice paid by bank transfer, with the bank's reference; audited against its customer."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        abort(404)
    try:
        mark_bank_transfer_paid(
            invoice, request.form.get("reference", "")[:200], f"staff:{current_user.email}", commit=False
        )
    except InvoiceClosed:
        db.session.rollback()
        abort(409)
    except PaymentRefused as error:
        db.session.rollback()
        return _payments_page(
            str(error), {"id": invoice_id, "reference": request.form.get("reference", "")[:200]}
        ), 400
    subject = f"invoice:{invoice.id}"
    record_staff_action(invoice.reseller_id, subject, "bank_transfer", "payments desk", invoice.customer_id)
    db.session.commit()
    flash(f"{invoice_label(invoice.number)} is paid.", "success")
    return redirect(url_for("staff.payments"), 303)


@bp.post("/payments/refunds/<int(max=2147483647):refund_id>/refunded")
@role_required(*BILLING_DESK)
def mark_refund_made(refund_id: int) -> Response | tuple[str, int]:
    """Record that a refund to make went back to the customer, with its reference; audited."""
    refund = db.session.get(RefundDue, refund_id)
    if refund is None:
        abort(404)
    reference = request.form.get("reference", "")[:200]
    try:
        mark_refunded(refund, reference, f"staff:{current_user.id}")
    except RefundClosed:
        db.session.rollback()
        abort(409)
    except RefundError as error:
        db.session.rollback()
        return _payments_page(str(error)), 400
    invoice = db.session.get(Invoice, refund.invoice_id)
    record_staff_action(
        refund.reseller_id, f"refund:{refund.id}", "refunded", refund.refund_reference, invoice.customer_id
    )
    db.session.commit()
    flash(f"The refund for {invoice_label(invoice.number)} is recorded.", "success")
    return redirect(url_for("staff.payments"), 303)
