"""Staff work queues: provisioning paid services, confirming bank transfers."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Invoice
from ..services.invoices import invoice_label
from ..services.payments import InvoiceClosed, PaymentRefused, mark_bank_transfer_paid
from ..services.provisioning import ProvisioningError, activate, pending_services, unpaid_invoices
from . import bp
from .roles import BILLING_DESK, role_required


@bp.get("/provisioning")
@role_required(*BILLING_DESK)
def provisioning() -> str:
    """Paid services waiting to be set up, across every shop."""
    return render_template("staff/provisioning.html", queue=pending_services(), error=None)


@bp.post("/provisioning/<int(max=2147483647):service_id>/activate")
@role_required(*BILLING_DESK)
def activate_service(service_id: int) -> Response | tuple[str, int]:
    """Record the server and username of a set-up service."""
    try:
        service = activate(
            service_id, request.form.get("server", "")[:120], request.form.get("username", "")[:64]
        )
    except LookupError:
        abort(404)
    except ProvisioningError as error:
        db.session.rollback()
        return render_template("staff/provisioning.html", queue=pending_services(), error=str(error)), 400
    flash(f"{service.domain} is active; the customer has been told.", "success")
    return redirect(url_for("staff.provisioning"), 303)


@bp.get("/payments")
@role_required(*BILLING_DESK)
def payments() -> str:
    """Unpaid invoices across shops, to match against bank transfers."""
    return render_template("staff/payments.html", invoices=unpaid_invoices(), label=invoice_label, error=None)


@bp.post("/payments/<int(max=2147483647):invoice_id>/bank-transfer")
@role_required(*BILLING_DESK)
def confirm_bank_transfer(invoice_id: int) -> Response | tuple[str, int]:
    """Mark an invoice paid by bank transfer, with the bank's reference."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        abort(404)
    try:
        mark_bank_transfer_paid(
            invoice, request.form.get("reference", "")[:200], f"staff:{current_user.email}"
        )
    except InvoiceClosed:
        db.session.rollback()
        abort(409)
    except PaymentRefused as error:
        db.session.rollback()
        page = render_template(
            "staff/payments.html", invoices=unpaid_invoices(), label=invoice_label, error=str(error)
        )
        return page, 400
    flash(f"{invoice_label(invoice.number)} is paid.", "success")
    return redirect(url_for("staff.payments"), 303)
