"""The customer's tickets: open one, follow and answer the thread, close, reopen, escalate."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Reseller, Service, Ticket, utcnow
from ..ratelimits import account_key, address_key, limited
from ..services import tickets as ticket_service
from ..services.escalation import escalate
from ..services.ticket_mail import shown_thread
from ..services.tickets import OPEN_STATUSES, THREAD_LOADED, TicketError
from ..theming import render_themed
from ..whole_numbers import whole_number
from . import bp
from .account import customer_required, verified_email_required

ID = "<int(max=2147483647):ticket_id>"


def _reseller() -> Reseller:
    return db.session.get(Reseller, g.shop.id)


def _my_services() -> list[Service]:
    return list(
        db.session.scalars(
            select(Service)
            .where(Service.reseller_id == g.shop.id, Service.customer_id == current_user.id)
            .order_by(Service.id)
        )
    )


def _my_ticket(ticket_id: int) -> Ticket:
    ticket = db.session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id, Ticket.reseller_id == g.shop.id, Ticket.customer_id == current_user.id)
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
    """Ask for help: a subject, a message and, if it is about one, a service."""
    services, error = _my_services(), None
    if request.method == "POST":
        service_id = whole_number(request.form.get("service"))
        try:
            if service_id and service_id not in {s.id for s in services}:
                raise TicketError("Please choose one of your services.")
            ticket = ticket_service.open_ticket(
                _reseller(),
                request.form.get("subject", ""),
                request.form.get("body", ""),
                customer=current_user,
                service_id=service_id or None,
            )
        except TicketError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash("Thank you, we have your request.", "success")
            return redirect(url_for("shop.ticket", ticket_id=ticket.id), 303)
    page = render_themed("tickets/new.html", services=services, error=error, values=request.form)
    return page, 400 if error else 200


@bp.get(f"/account/tickets/{ID}")
@customer_required
def ticket(ticket_id: int) -> str:
    """The conversation, without internal notes, with the reply deadline."""
    found = _my_ticket(ticket_id)
    reseller = _reseller()
    messages = shown_thread(reseller, found, internal=False)
    return render_themed(
        "tickets/thread.html",
        ticket=found,
        messages=messages,
        now=utcnow(),
        can_escalate=found.status in OPEN_STATUSES and found.tier.value == "reseller",
        error=request.args.get("error"),
    )


def _act(ticket_id: int, action) -> Response | tuple[str, int]:
    found = _my_ticket(ticket_id)
    try:
        action(found)
    except TicketError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("shop.ticket", ticket_id=ticket_id), 303)
    db.session.commit()
    return redirect(url_for("shop.ticket", ticket_id=ticket_id), 303)


@bp.post(f"/account/tickets/{ID}/reply")
@customer_required
@verified_email_required
@limited("RATELIMIT_TICKET_REPLY_PER_ACCOUNT", account_key)
@limited("RATELIMIT_TICKET_REPLY_PER_ADDRESS", address_key)
def ticket_reply(ticket_id: int) -> Response:
    """Add to the conversation (this reopens a resolved or closed ticket)."""
    return _act(
        ticket_id, lambda t: ticket_service.add_customer_message(_reseller(), t, request.form.get("body", ""))
    )


@bp.post(f"/account/tickets/{ID}/close")
@customer_required
@verified_email_required
def ticket_close(ticket_id: int) -> Response:
    """Close the ticket."""
    return _act(ticket_id, lambda t: ticket_service.close_by_customer(_reseller(), t))


@bp.post(f"/account/tickets/{ID}/reopen")
@customer_required
@verified_email_required
def ticket_reopen(ticket_id: int) -> Response:
    """Reopen a closed or resolved ticket."""
    return _act(ticket_id, lambda t: ticket_service.reopen_by_customer(_reseller(), t))


@bp.post(f"/account/tickets/{ID}/escalate")
@customer_required
@verified_email_required
def ticket_escalate(ticket_id: int) -> Response:
    """Take the ticket past the shop's team, with a reason."""
    note = (request.form.get("reason") or "").strip()

    def escalate_it(found: Ticket) -> None:
        if not note:
            raise TicketError("Please tell us why you are escalating.")
        escalate(_reseller(), found, f"customer:{current_user.id}", "asked", note)
        flash(f"Your ticket is now with {g.shop.escalation_persona}.", "success")

    return _act(ticket_id, escalate_it)
