"""Triage on the escalation screen: emails no rule could place, and opening them at a shop."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import db
from ..support import escalation_screen as screen
from ..support.inbound.held import STAFF_HEADERS, dismiss, shown_headers
from ..support.inbound.triage import TriageError, open_from_triage
from ..whole_numbers import whole_number
from . import bp
from .escalations import DESK, BadInput, page_number
from .roles import record_staff_action, role_required


@bp.get("/escalations/triage")
@role_required(*DESK)
def escalation_triage() -> str | tuple[str, int]:
    """Emails to the platform that no rule could place, waiting for staff to decide."""
    try:
        page = page_number(request.args)
    except BadInput as error:
        return render_template("staff/escalations/triage.html", emails=[], total=0, error=str(error)), 400
    emails, total = screen.triage_emails(page)
    pages = max(1, -(-total // screen.PAGE_SIZE))
    record_staff_action(None, f"triage:page-{page}", "list", f"{len(emails)} emails waiting for staff")
    db.session.commit()
    return render_template(
        "staff/escalations/triage.html", emails=emails, total=total, page=page, pages=pages, error=None
    )


@bp.get("/escalations/triage/<int(max=2147483647):inbound_id>")
@role_required(*DESK)
def escalation_triage_email(inbound_id: int) -> str:
    """One email in triage, reduced to safe text; the view is audited."""
    email = screen.triage_email(inbound_id)
    if email is None:
        abort(404)
    record_staff_action(email.reseller_id, f"inbound:{email.id}", "view", "triage email")
    page = render_template(
        "staff/escalations/triage_email.html",
        email=email,
        headers=shown_headers(email.raw, STAFF_HEADERS),
        body=screen.readable_body(email.raw),
        shops=screen.shop_choices(),
        error=None,
    )
    db.session.commit()
    return page


@bp.post("/escalations/triage/<int(max=2147483647):inbound_id>/open")
@role_required(*DESK)
def escalation_triage_open(inbound_id: int) -> Response:
    """Open the email as an escalated ticket at the shop staff chose."""
    raw_id = request.form.get("reseller_id", "")
    reseller_id = whole_number(raw_id) or 0
    try:
        ticket = open_from_triage(inbound_id, reseller_id, current_user.id)
    except LookupError:
        db.session.rollback()
        abort(404)
    except TriageError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("staff.escalation_triage_email", inbound_id=inbound_id), 303)
    subject, reason = f"inbound:{inbound_id}", f"ticket {ticket.id}"
    record_staff_action(ticket.reseller_id, subject, "open_ticket", reason, ticket.customer_id)
    db.session.commit()  # the ticket and its audit entry together
    flash(f"Ticket {ticket.id} is open and escalated.", "success")
    return redirect(url_for("staff.escalation_ticket", ticket_id=ticket.id), 303)


@bp.post("/escalations/triage/<int(max=2147483647):inbound_id>/dismiss")
@role_required(*DESK)
def escalation_triage_dismiss(inbound_id: int) -> Response:
    """Set an email waiting for staff aside for good: it leaves the list and stays stored; audited."""
    email = screen.triage_email(inbound_id)
    if email is None:
        abort(404)
    dismiss(email)
    record_staff_action(email.reseller_id, f"inbound:{email.id}", "dismiss", f"{email.outcome.value} email")
    db.session.commit()
    flash("The email is dismissed: it no longer waits here.", "success")
    return redirect(url_for("staff.escalation_triage"), 303)
