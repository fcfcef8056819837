"""The team's ticket inbox: reply, internal notes, status, and handing a ticket to the platform."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import db
from ..htmx import is_htmx
from ..models import Reseller, Ticket, TicketStatus, TicketTier, utcnow
from ..paging import page_number
from ..support import tickets as ticket_service
from ..support.downloads import send_attachment
from ..support.escalation import NOTE_MAX, escalate
from ..support.inbox import VIEWS, inbox_page, team_ticket
from ..support.ticket_files import ticket_file
from ..support.ticket_mail import requester, shown_thread
from ..support.tickets import BODY_MAX, TicketError
from . import bp
from .auth import record_team_action, record_team_list, team_required

NUMBER = "<int(max=2147483647):ticket_number>"


@bp.get("/tickets")
@team_required
def tickets() -> str:
    """The inbox: open tickets by default, the late ones first; audited with each customer shown."""
    view = request.args.get("view", "open")
    view = view if view in VIEWS else "open"
    page = inbox_page(g.shop.id, view, page_number(request.args.get("page")), utcnow())
    shown = [row.customer_id for row in page.rows]
    record_team_list("tickets", shown, f"{view}, page {page.page}")
    template = "console/_inbox.html" if is_htmx() else "console/tickets.html"
    inbox = render_template(template, inbox=page, view=view, views=VIEWS, now=utcnow())
    db.session.commit()  # after rendering: the signed-in member and shop stay loaded
    return inbox


def _ticket(number: int) -> Ticket:
    found = team_ticket(g.shop.id, number)
    if found is None:
        abort(404)
    return found


@bp.get(f"/tickets/{NUMBER}")
@team_required
def ticket(ticket_number: int) -> str:
    """A ticket with its whole thread, internal notes and files; the view is audited."""
    return _ticket_page(_ticket(ticket_number))


def _ticket_page(found: Ticket, error: str | None = None, kept: tuple[str, str] = ("", "")) -> str:
    """Render the ticket, audited as a view; ``kept`` is the refused form (its action) and its text."""
    reseller = db.session.get(Reseller, g.shop.id)
    record_team_action(f"ticket:{found.id}", "view", customer_id=found.customer_id)
    db.session.commit()
    messages = shown_thread(reseller, found, internal=True)
    name, email = requester(found)
    return render_template(
        "console/ticket.html",
        ticket=found,
        messages=messages,
        requester_name=name,
        requester_email=email,
        now=utcnow(),
        statuses=ticket_service.TEAM_STATUSES,
        error=error,
        kept=kept,
    )


def _act(number: int, action, done: str) -> Response | tuple[str, int]:
    found = _ticket(number)
    try:
        action(db.session.get(Reseller, g.shop.id), found)
    except TicketError as error:
        db.session.rollback()
        kept = (done, request.form.get("note" if done == "escalate" else "body", "")[:BODY_MAX])
        return _ticket_page(_ticket(number), str(error), kept), 400
    record_team_action(f"ticket:{found.id}", done, customer_id=found.customer_id)
    db.session.commit()
    return redirect(url_for("console.ticket", ticket_number=number), 303)


@bp.get(f"/tickets/{NUMBER}/attachments/<stored_name>")
@team_required
def ticket_attachment(ticket_number: int, stored_name: str) -> Response:
    """Send a file of one of the shop's tickets as a download; audited."""
    found = _ticket(ticket_number)
    attachment = ticket_file(found, stored_name, internal=True)
    if attachment is None:
        abort(404)
    record_team_action(f"ticket:{found.id}", "download", f"file {stored_name}", customer_id=found.customer_id)
    db.session.commit()
    return send_attachment(attachment)


@bp.post(f"/tickets/{NUMBER}/reply")
@team_required
def reply(ticket_number: int) -> Response | tuple[str, int]:
    """Answer the customer."""
    body = request.form.get("body", "")
    return _act(ticket_number, lambda r, t: ticket_service.add_team_reply(r, t, current_user, body), "reply")


@bp.post(f"/tickets/{NUMBER}/note")
@team_required
def note(ticket_number: int) -> Response | tuple[str, int]:
    """Add an internal note the customer never sees."""
    body = request.form.get("body", "")
    return _act(
        ticket_number, lambda r, t: ticket_service.add_note(t, body, team_member_id=current_user.id), "note"
    )


@bp.post(f"/tickets/{NUMBER}/status")
@team_required
def status(ticket_number: int) -> Response | tuple[str, int]:
    """Set the ticket's status."""
    value = request.form.get("status", "")

    def set_it(reseller: Reseller, found: Ticket) -> None:
        if found.tier == TicketTier.PLATFORM:
            raise TicketError("This ticket is with the escalations team; its status is theirs to set.")
        if value not in TicketStatus._value2member_map_:
            raise TicketError("Please choose a status.")
        ticket_service.set_status(reseller, found, TicketStatus(value))

    return _act(ticket_number, set_it, "status")


@bp.post(f"/tickets/{NUMBER}/escalate")
@team_required
def hand_over(ticket_number: int) -> Response | tuple[str, int]:
    """Hand the ticket to the platform's escalations team, with a note."""
    text = (request.form.get("note") or "").strip()

    def hand(reseller: Reseller, found: Ticket) -> None:
        if not text:
            raise TicketError("Please add a note for the escalations team.")
        ticket_service.shop_side_text(text, NOTE_MAX, "note")
        escalate(reseller, found, f"team:{current_user.id}", "handed_over", text)

    return _act(ticket_number, hand, "escalate")
