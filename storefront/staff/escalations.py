"""The escalation screen: one queue across shops, the ticket view and its actions, a shop's record, triage.

Staff reach a customer only inside a ticket on the screen, and every such view is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from ..extensions import db
from ..htmx import is_htmx
from ..models import Reseller, Ticket, TicketStatus, TicketTier, utcnow
from ..support import escalation as escalation_service
from ..support import escalation_screen as screen
from ..support import tickets as ticket_service
from ..support.escalation import QueueFilters
from ..support.ticket_mail import requester
from ..support.tickets import OPEN_STATUSES, TicketError
from ..whole_numbers import MAX_ID, whole_number
from . import bp
from .roles import record_staff_action, record_staff_list, role_required

DESK = screen.ESCALATION_DESK
ID = f"<int(max={MAX_ID}):ticket_id>"
NOTE_MAX = 2000
STATUS_CHOICES = [status.value for status in OPEN_STATUSES]


class BadInput(ValueError):
    """A query or form value the screen cannot use; the message says which."""


@bp.after_request
def _not_stored(response: BaseResponse) -> BaseResponse:
    """Keep escalation pages (customer data) out of every cache."""
    if (request.endpoint or "").startswith("staff.escalation"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _whole_number(value: str | None, what: str, upper: int = MAX_ID) -> int | None:
    if value in (None, ""):
        return None
    number = whole_number(value, least=1, most=upper)
    if number is None:
        raise BadInput(f"That is not a valid {what}.")
    return number


def _filters(args: Mapping[str, str], me: int) -> tuple[QueueFilters, dict[str, str]]:
    """Parse the queue's filters; return them and the chosen values to keep in links."""
    shop = _whole_number(args.get("shop"), "shop")
    reason = args.get("reason") or None
    if reason not in (None, "missed", "escalated"):
        raise BadInput("Filter the reason by missed or escalated.")
    status = args.get("status") or None
    if status not in (None, *STATUS_CHOICES):
        raise BadInput("Filter the status by open, waiting on customer or escalated.")
    raw_assignee = args.get("assignee") or ""
    specials = {"": None, "me": me, "unassigned": 0}
    assignee = specials[raw_assignee] if raw_assignee in specials else _whole_number(raw_assignee, "assignee")
    chosen = {"shop": args.get("shop"), "reason": reason, "assignee": raw_assignee, "status": status}
    return QueueFilters(shop, reason, assignee, status), {k: v for k, v in chosen.items() if v}


def page_number(args: Mapping[str, str]) -> int:
    return _whole_number(args.get("page"), "page number", upper=1_000_000) or 1


def _check_choices(filters: QueueFilters, raw_assignee: str | None, shops: list, staff: list) -> None:
    if filters.reseller_id and filters.reseller_id not in {shop_id for shop_id, _ in shops}:
        raise BadInput("There is no such shop.")
    if raw_assignee not in (None, "me", "unassigned") and filters.assignee_id not in {i for i, _ in staff}:
        raise BadInput("That is not someone who works escalations.")


@bp.get("/escalations")
@role_required(*DESK)
def escalations() -> Response | str | tuple[str, int]:
    """The queue across every shop; an htmx poll whose fingerprint still holds gets 204 and no body."""
    now = utcnow()
    try:
        filters, chosen = _filters(request.args, current_user.id)
        page = page_number(request.args)
    except BadInput as error:
        return _queue_error(str(error))
    state = screen.queue_state(now, filters, page)
    if is_htmx() and request.args.get("since") == state.fingerprint:
        return Response(status=204)
    shops, staff = screen.shop_choices(), screen.desk_staff()
    try:
        _check_choices(filters, chosen.get("assignee"), shops, staff)
    except BadInput as error:
        return _queue_error(str(error))
    context = _queue_context(now, chosen, state)
    _audit_queue(context["rows"], filters.reseller_id, state.page)
    if is_htmx():
        shown = render_template("staff/escalations/_queue.html", **context)
    else:
        shown = render_template("staff/escalations/index.html", shops=shops, staff=staff, **context)
    db.session.commit()
    return shown


def _audit_queue(rows: list[screen.QueueRow], reseller_id: int | None, page: int) -> None:
    """Audit a rendered queue, with an entry for each customer whose ticket subject it shows.

    Every page load and every fragment is recorded, the poll's too, but only when the queue is
    rendered: a poll whose fingerprint still holds gets its 204 before this, so a quiet queue
    watched all day adds nothing, and the log grows with changes to the queue, not with the timer.
    A changed queue may show tickets not on the screen before: that is a fresh look, and recorded.
    """
    polled = " (refreshed)" if request.args.get("since") else ""
    shown = [(row.reseller_id, row.customer_id) for row in rows]
    record_staff_list(reseller_id, "escalations", shown, f"page {page}{polled}")


def _queue_context(now: datetime, chosen: dict[str, str], state: screen.QueueState) -> dict[str, object]:
    return {
        "rows": screen.with_reasons(state.rows),
        "state": state,
        "page": state.page,
        "chosen": chosen,
        "now": now,
        "poll_url": url_for("staff.escalations", **chosen, page=state.page, since=state.fingerprint),
        "duration": screen.duration,
        "reason_labels": screen.REASON_LABELS,
        "error": None,
    }


def _queue_error(message: str) -> tuple[str, int]:
    """Answer bad filters: a fragment htmx swaps in (200), or the page with a 400."""
    if is_htmx():
        return render_template("staff/escalations/_queue_error.html", error=message), 200
    page = render_template(
        "staff/escalations/index.html",
        shops=screen.shop_choices(),
        staff=screen.desk_staff(),
        chosen={},
        error=message,
    )
    return page, 400


def _on_screen(ticket_id: int, now: datetime) -> Ticket:
    ticket = screen.screen_ticket(ticket_id, now)
    if ticket is None:
        abort(404)
    return ticket


def _audit(ticket: Ticket, action: str, reason: str) -> None:
    """Audit a staff view of or action on a ticket, under the ticket's customer's access log."""
    record_staff_action(ticket.reseller_id, f"ticket:{ticket.id}", action, reason, ticket.customer_id)


def _ticket_page(ticket_id: int, error: str | None = None, values: Mapping[str, str] | None = None) -> str:
    """Render a ticket on the screen for staff and write the audit entry for the view."""
    now = utcnow()
    ticket = _on_screen(ticket_id, now)
    reseller = db.session.get(Reseller, ticket.reseller_id)
    customer_name, customer_email = requester(ticket)
    _audit(ticket, "view", "escalated ticket")
    page = render_template(
        "staff/escalations/ticket.html",
        ticket=ticket,
        reseller=reseller,
        customer_name=customer_name,
        customer_email=customer_email,
        thread=screen.staff_thread(ticket, reseller.escalation_persona, customer_name),
        history=screen.escalation_history(ticket.id),
        record=screen.shop_record(reseller.id, now),
        staff=screen.desk_staff(),
        assignee_name=screen.staff_name(ticket.assignee_staff_id),
        now=now,
        duration=screen.duration,
        reason_labels=screen.REASON_LABELS,
        error=error,
        values=values or {},
    )
    db.session.commit()
    return page


@bp.get(f"/escalations/{ID}")
@role_required(*DESK)
def escalation_ticket(ticket_id: int) -> str:
    """One ticket on the screen: the whole thread, its customer and the shop's record (audited)."""
    return _ticket_page(ticket_id)


Action = Callable[[Reseller, Ticket, datetime], str]


def _act(ticket_id: int, name: str, action: Action, leaves_queue: bool = False) -> BaseResponse | tuple:
    """Run a staff action on a ticket on the screen in one transaction, audited; refuse bad input whole."""
    now = utcnow()
    ticket = _on_screen(ticket_id, now)
    reseller = db.session.get(Reseller, ticket.reseller_id)
    try:
        done = action(reseller, ticket, now)
    except TicketError as error:
        db.session.rollback()
        return _ticket_page(ticket_id, error=str(error), values=request.form), 400
    _audit(ticket, name, done)
    db.session.commit()
    flash(done, "success")
    if leaves_queue:
        return redirect(url_for("staff.escalations"), 303)
    return redirect(url_for("staff.escalation_ticket", ticket_id=ticket_id), 303)


def _take_over(reseller: Reseller, ticket: Ticket, now: datetime) -> None:
    """Record the escalation of a ticket that is here only by its missed deadline."""
    if ticket.tier == TicketTier.RESELLER:
        escalation_service.escalate_missed_deadline(reseller, ticket, now=now)


@bp.post(f"/escalations/{ID}/claim")
@role_required(*DESK)
def escalation_claim(ticket_id: int) -> BaseResponse | tuple:
    """Assign the ticket to the signed-in staff member."""

    def claim(reseller: Reseller, ticket: Ticket, now: datetime) -> str:
        escalation_service.claim(ticket, current_user.id)
        return f"Ticket {ticket.id} is yours."

    return _act(ticket_id, "claim", claim)


@bp.post(f"/escalations/{ID}/assign")
@role_required(*DESK)
def escalation_assign(ticket_id: int) -> BaseResponse | tuple:
    """Assign the ticket to another active support engineer, or to nobody."""

    def assign(reseller: Reseller, ticket: Ticket, now: datetime) -> str:
        raw = request.form.get("assignee", "")
        names = dict(screen.desk_staff())
        staff_id = whole_number(raw)
        if raw and staff_id not in names:
            raise TicketError("Choose someone from the list of support engineers.")
        escalation_service.claim(ticket, staff_id)
        return f"Ticket {ticket.id} assigned to {names[staff_id]}." if staff_id else "Ticket unassigned."

    return _act(ticket_id, "assign", assign)


@bp.post(f"/escalations/{ID}/reply")
@role_required(*DESK)
def escalation_reply(ticket_id: int) -> BaseResponse | tuple:
    """Answer the customer as the shop's escalation persona; an unassigned ticket becomes yours."""

    def reply(reseller: Reseller, ticket: Ticket, now: datetime) -> str:
        _take_over(reseller, ticket, now)
        staff = current_user._get_current_object()
        ticket_service.add_staff_reply(reseller, ticket, staff, request.form.get("body", ""), now)
        if ticket.assignee_staff_id is None:
            escalation_service.claim(ticket, staff.id)
        return f"Reply sent as {reseller.escalation_persona}."

    return _act(ticket_id, "reply", reply)


@bp.post(f"/escalations/{ID}/note")
@role_required(*DESK)
def escalation_note(ticket_id: int) -> BaseResponse | tuple:
    """Add an internal note, seen by staff and the shop's team, never by the customer."""

    def note(reseller: Reseller, ticket: Ticket, now: datetime) -> str:
        ticket_service.add_note(ticket, request.form.get("note", ""), staff_id=current_user.id, now=now)
        return "Internal note added."

    return _act(ticket_id, "note", note)


@bp.post(f"/escalations/{ID}/resolve")
@role_required(*DESK)
def escalation_resolve(ticket_id: int) -> BaseResponse | tuple:
    """Mark the ticket resolved; it leaves the queue and the customer is told."""

    def resolve(reseller: Reseller, ticket: Ticket, now: datetime) -> str:
        _take_over(reseller, ticket, now)
        ticket_service.set_status(reseller, ticket, TicketStatus.RESOLVED, now)
        return f"Ticket {ticket.id} is resolved."

    return _act(ticket_id, "resolve", resolve, leaves_queue=True)


@bp.post(f"/escalations/{ID}/hand-back")
@role_required(*DESK)
def escalation_hand_back(ticket_id: int) -> BaseResponse | tuple:
    """Return the ticket to the shop's team with a note; a waiting customer gets a fresh deadline."""

    def hand_back(reseller: Reseller, ticket: Ticket, now: datetime) -> str:
        escalation_service.hand_back(reseller, ticket, current_user.id, request.form.get("handback", ""), now)
        return f"Ticket {ticket.id} is back with {reseller.brand_name}."

    return _act(ticket_id, "hand_back", hand_back, leaves_queue=True)


@bp.get("/escalations/shops/<int(max=2147483647):reseller_id>")
@role_required(*DESK)
def escalation_shop(reseller_id: int) -> str:
    """A shop's support record over the last 30 days: counts and times, never its customers."""
    reseller = db.session.get(Reseller, reseller_id)
    if reseller is None:
        abort(404)
    record = screen.shop_record(reseller_id, utcnow())
    return render_template(
        "staff/escalations/shop.html",
        reseller=reseller,
        record=record,
        duration=screen.duration,
        reason_labels=screen.REASON_LABELS,
    )
