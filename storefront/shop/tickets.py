"""The customer's tickets: open one, follow and answer the thread, close, reopen, escalate."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..branding.theming import render_themed
from ..extensions import db
from ..models import Reseller, Service, Ticket, utcnow
from ..ratelimits import account_key, address_key, limited
from ..support import tickets as ticket_service
from ..support.escalation import escalate
from ..support.inbound.intake import attachment_limits
from ..support.ticket_files import read_uploads
from ..support.ticket_mail import shown_thread
from ..support.tickets import OPEN_STATUSES, THREAD_LOADED, TicketError
from ..whole_numbers import whole_number
from . import bp
from .account import customer_required, verified_email_required

NUMBER = "<int(max=2147483647):ticket_number>"
# Forms that carry files: they may be as large as an email the shop would accept.
UPLOAD_ENDPOINTS = frozenset({"shop.new_ticket", "shop.ticket_reply"})


@bp.url_value_preprocessor
def allow_attachments(endpoint: str | None, values: dict | None) -> None:
    """Let the forms with files carry them; this runs before the CSRF check reads the form."""
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["INBOUND_MAX_BYTES"]


def _reseller() -> Reseller:
    return db.session.get(Reseller, g.shop.id)


def _my_services() -> list[Service]:
    return list(
        db.session.scalars(
            select(Service)
            .where(Service.reseller_id == g.shop.id, Service.customer_id == current_user.id)
            .order_by(Service.number)
        )
    )


def _my_ticket(number: int) -> Ticket:
    ticket = db.session.scalar(
        select(Ticket)
        .where(
            Ticket.reseller_id == g.shop.id, Ticket.number == number, Ticket.customer_id == current_user.id
        )
        .options(*THREAD_LOADED)
    )
    if ticket is None:
        abort(404)
    return ticket


@bp.get("/account/tickets")
@customer_required
def tickets() -> str:
    """The customer's tickets, newest activity first."""
    mine = db.session.scalars(
        select(Ticket)
        .where(Ticket.reseller_id == g.shop.id, Ticket.customer_id == current_user.id)
        .order_by(Ticket.updated_at.desc())
    )
    return render_themed("tickets/list.html", tickets=list(mine), now=utcnow())


@bp.route("/account/tickets/new", methods=["GET", "POST"])
@customer_required
@verified_email_required
@limited("RATELIMIT_TICKET_PER_ACCOUNT", account_key)
@limited("RATELIMIT_TICKET_PER_ADDRESS", address_key)
def new_ticket() -> Response | tuple[str, int]:
    """Ask for help: a subject, a message, files if any and, if it is about one, a service."""
    services, error = _my_services(), None
    if request.method == "POST":
        chosen = whole_number(request.form.get("service"))
        service_ids = {s.number: s.id for s in services}
        try:
            if chosen and chosen not in service_ids:
                raise TicketError("Please choose one of your services.")
            ticket = ticket_service.open_ticket(
                _reseller(),
                request.form.get("subject", ""),
                request.form.get("body", ""),
                customer=current_user,
                service_id=service_ids.get(chosen),
                files=read_uploads(request.files.getlist("files"), attachment_limits()),
            )
        except TicketError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash("Thank you, we have your request.", "success")
            return redirect(url_for("shop.ticket", ticket_number=ticket.number), 303)
    page = render_themed(
        "tickets/new.html",
        services=services,
        error=error,
        values=request.form,
        upload_limits=attachment_limits(),
    )
    return page, 400 if error else 200


def _thread_page(number: int, reply_error: str = "", reply: str = "") -> str:
    found = _my_ticket(number)
    return render_themed(
        "tickets/thread.html",
        ticket=found,
        messages=shown_thread(_reseller(), found, internal=False),
        now=utcnow(),
        can_escalate=found.status in OPEN_STATUSES and found.tier.value == "reseller",
        reply_error=reply_error,
        reply=reply,
        upload_limits=attachment_limits(),
    )


@bp.get(f"/account/tickets/{NUMBER}")
@customer_required
def ticket(ticket_number: int) -> str:
    """The conversation, without internal notes, with the reply deadline."""
    return _thread_page(ticket_number)


def _act(number: int, action) -> Response | tuple[str, int]:
    found = _my_ticket(number)
    try:
        action(found)
    except TicketError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("shop.ticket", ticket_number=number), 303)
    db.session.commit()
    return redirect(url_for("shop.ticket", ticket_number=number), 303)


@bp.post(f"/account/tickets/{NUMBER}/reply")
@customer_required
@verified_email_required
@limited("RATELIMIT_TICKET_REPLY_PER_ACCOUNT", account_key)
@limited("RATELIMIT_TICKET_REPLY_PER_ADDRESS", address_key)
def ticket_reply(ticket_number: int) -> Response | tuple[str, int]:
    """Add to the conversation, with files if any (this reopens a resolved or closed ticket)."""
    found, body = _my_ticket(ticket_number), request.form.get("body", "")
    try:
        files = read_uploads(request.files.getlist("files"), attachment_limits())
        ticket_service.add_customer_message(_reseller(), found, body, files=files)
    except TicketError as error:
        db.session.rollback()
        return _thread_page(ticket_number, str(error), body[: ticket_service.BODY_MAX]), 400
    db.session.commit()
    return redirect(url_for("shop.ticket", ticket_number=ticket_number), 303)


@bp.post(f"/account/tickets/{NUMBER}/close")
@customer_required
@verified_email_required
def ticket_close(ticket_number: int) -> Response:
    """Close the ticket."""
    return _act(ticket_number, lambda t: ticket_service.close_by_customer(_reseller(), t))


@bp.post(f"/account/tickets/{NUMBER}/reopen")
@customer_required
@verified_email_required
def ticket_reopen(ticket_number: int) -> Response:
    """Reopen a closed or resolved ticket."""
    return _act(ticket_number, lambda t: ticket_service.reopen_by_customer(_reseller(), t))


@bp.post(f"/account/tickets/{NUMBER}/escalate")
@customer_required
@verified_email_required
def ticket_escalate(ticket_number: int) -> Response:
    """Take the ticket past the shop's team, with a reason."""
    note = (request.form.get("reason") or "").strip()

    def escalate_it(found: Ticket) -> None:
        if not note:
            raise TicketError("Please tell us why you are escalating.")
        escalate(_reseller(), found, f"customer:{current_user.id}", "asked", note)
        flash(f"Your ticket is now with {g.shop.escalation_persona}.", "success")

    return _act(ticket_number, escalate_it)
