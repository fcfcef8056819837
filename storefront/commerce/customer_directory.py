"""The shop team's view of its own customers: a searchable list and one customer's record.

Every read costs a fixed number of queries however many customers, orders or tickets a shop has:
the list's order and ticket counts are correlated aggregate subqueries in the same statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select

from ..extensions import db
from ..models import Customer, Invoice, Order, Plan, Service, Ticket
from ..paging import PageCount
from ..support.tickets import OPEN_STATUSES

PAGE_SIZE = 25
DETAIL_LIMIT = 50
SEARCH_MAX_LENGTH = 100
SORTS = ("newest", "name")


def escape_like(term: str) -> str:
    """Return ``term`` with LIKE's wildcards taken literally (use with ``escape="\\"``)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_pattern(term: str) -> str:
    """Return a LIKE pattern matching ``term`` anywhere, its wildcards taken literally (escape ``\\``)."""
    return f"%{escape_like(term)}%"


def clean_search(raw: str | None) -> str:
    """Return a search term as text: control characters dropped, spaces squeezed, length capped."""
    printable = "".join(ch if ch.isprintable() else " " for ch in (raw or "")[: SEARCH_MAX_LENGTH * 4])
    return " ".join(printable.split())[:SEARCH_MAX_LENGTH]


@dataclass(frozen=True)
class CustomerRow:
    """One customer as the list shows them."""

    id: int
    number: int
    name: str
    email: str
    verified: bool
    since: datetime
    orders: int
    open_tickets: int


@dataclass(frozen=True)
class CustomerPage(PageCount):
    """A page of the shop's customers matching a search."""

    per_page = PAGE_SIZE

    rows: list[CustomerRow]
    total: int
    page: int
    term: str
    sort: str


def _matching(reseller_id: int, term: str) -> ColumnElement[bool]:
    condition = Customer.reseller_id == reseller_id
    if term:
        pattern = like_pattern(term.lower())
        condition &= or_(Customer.name.ilike(pattern, escape="\\"), Customer.email.like(pattern, escape="\\"))
    return condition


def _counted(reseller_id: int, page_ids: Select) -> Select:
    """The page's customers with their order and open-ticket counts.

    The counts are computed for the page's rows only: the page is chosen first, by id.
    """
    orders = (
        select(func.count(Order.id))
        .where(Order.reseller_id == reseller_id, Order.customer_id == Customer.id)
        .correlate(Customer)
        .scalar_subquery()
    )
    open_tickets = (
        select(func.count(Ticket.id))
        .where(
            Ticket.reseller_id == reseller_id,
            Ticket.customer_id == Customer.id,
            Ticket.status.in_(OPEN_STATUSES),
        )
        .correlate(Customer)
        .scalar_subquery()
    )
    columns = (Customer.email_verified_at, Customer.created_at, orders, open_tickets)
    return select(Customer.id, Customer.number, Customer.name, Customer.email, *columns).where(
        Customer.id.in_(page_ids)
    )


def customer_page(reseller_id: int, term: str, sort: str, page: int) -> CustomerPage:
    """Return a page of the shop's customers whose name or email contains ``term``, in two queries."""
    condition = _matching(reseller_id, term)
    total = db.session.scalar(select(func.count()).select_from(Customer).where(condition))
    order = (
        (func.lower(Customer.name), Customer.id)
        if sort == "name"
        else (Customer.created_at.desc(), Customer.id.desc())
    )
    page_ids = (
        select(Customer.id).where(condition).order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    )
    found = db.session.execute(_counted(reseller_id, page_ids).order_by(*order)).all()
    rows = [
        CustomerRow(id, number, name, email, verified_at is not None, since, orders or 0, tickets or 0)
        for id, number, name, email, verified_at, since, orders, tickets in found
    ]
    return CustomerPage(rows, total, page, term, sort)


@dataclass(frozen=True)
class CustomerRecord:
    """What the shop holds about one customer: profile, orders, services and tickets (latest first)."""

    customer: Customer
    orders: list[tuple[Order, Invoice | None]]
    services: list[tuple[Service, str]]
    tickets: list[Ticket]


def shop_customer(reseller_id: int, number: int) -> Customer | None:
    """Return one of the shop's customers by their number in the shop."""
    return db.session.scalar(
        select(Customer).where(Customer.reseller_id == reseller_id, Customer.number == number)
    )


def customer_record(reseller_id: int, customer: Customer) -> CustomerRecord:
    """Return the customer's latest orders with invoices, services with plans, and tickets."""
    orders = db.session.execute(
        select(Order, Invoice)
        .outerjoin(Invoice, Invoice.order_id == Order.id)
        .where(Order.reseller_id == reseller_id, Order.customer_id == customer.id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(DETAIL_LIMIT)
    ).all()
    services = db.session.execute(
        select(Service, Plan.name)
        .join(Plan, Plan.id == Service.plan_id)
        .where(Service.reseller_id == reseller_id, Service.customer_id == customer.id)
        .order_by(Service.id.desc())
        .limit(DETAIL_LIMIT)
    ).all()
    tickets = db.session.scalars(
        select(Ticket)
        .where(Ticket.reseller_id == reseller_id, Ticket.customer_id == customer.id)
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(DETAIL_LIMIT)
    ).all()
    return CustomerRecord(
        customer, [tuple(row) for row in orders], [tuple(row) for row in services], list(tickets)
    )
