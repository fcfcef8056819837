"""The shop team's ticket inbox: a fixed number of queries per page however many tickets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, Select, bindparam, case, func, select

from ..extensions import db
from ..models import Customer, Ticket, TicketStatus
from .tickets import OPEN_STATUSES, THREAD_LOADED

PAGE_SIZE = 50
VIEWS = {
    "open": OPEN_STATUSES,
    "waiting_on_customer": (TicketStatus.WAITING_ON_CUSTOMER,),
    "escalated": (TicketStatus.ESCALATED,),
    "resolved": (TicketStatus.RESOLVED,),
    "closed": (TicketStatus.CLOSED,),
}


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One ticket line of the inbox: the columns the list shows, not the whole ticket."""

    number: int
    subject: str
    status: TicketStatus
    reply_due_at: datetime | None
    sender_unverified: bool
    customer_id: int | None
    requester: str
    late: bool


@dataclass(frozen=True)
class InboxPage:
    """A page of the inbox."""

    rows: list[InboxRow]
    total: int
    page: int
    pages: int


def _view_queries(statuses: tuple[TicketStatus, ...]) -> tuple[Select, Select]:
    """A view's count and page of rows, for any shop (``reseller_id``) and page (``limit``, ``offset``)."""
    condition = (Ticket.reseller_id == bindparam("reseller_id")) & Ticket.status.in_(statuses)
    count = select(func.count()).select_from(Ticket).where(condition)
    due_order = case((Ticket.reply_due_at.is_(None), 1), else_=0)
    rows = (
        select(
            Ticket.number,
            Ticket.subject,
            Ticket.status,
            Ticket.reply_due_at,
            Ticket.sender_unverified,
            Ticket.customer_id,
            func.coalesce(Customer.name, Ticket.guest_name, Ticket.guest_email),
        )
        .outerjoin(Customer, Customer.id == Ticket.customer_id)
        .where(condition)
        .order_by(due_order, Ticket.reply_due_at, Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )
    return count, rows


# Built once per view: building them costs more than running them.
_VIEW_QUERIES = {view: _view_queries(statuses) for view, statuses in VIEWS.items()}


def inbox_page(reseller_id: int, view: str, page: int, now: datetime) -> InboxPage:
    """Return a page of the shop's tickets in a view: missed deadlines first, then the soonest due."""
    count, rows_query = _VIEW_QUERIES.get(view, _VIEW_QUERIES["open"])
    total = db.session.scalar(count, {"reseller_id": reseller_id})
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    parameters = {"reseller_id": reseller_id, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}
    rows = db.session.execute(rows_query, parameters).all()
    shown = [
        InboxRow(
            number, subject, status, due, unverified, customer, name or "", late=due is not None and due < now
        )
        for number, subject, status, due, unverified, customer, name in rows
    ]
    return InboxPage(shown, total, page, pages)


def team_ticket(reseller_id: int, number: int) -> Ticket | None:
    """Return one of the shop's tickets by its number in the shop."""
    return db.session.scalar(
        select(Ticket)
        .where(Ticket.reseller_id == reseller_id, Ticket.number == number)
        .options(*THREAD_LOADED)
    )
