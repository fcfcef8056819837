"""The shop team's view of its hosting services: a list filtered by status and due date, and one
service's record (customer, invoices, history).

Due dates are dates in the shop's calendar. A service that has ended (cancelled or terminated) is due
never: every due-date filter leaves it out, and the list shows no due date for it. The list costs two
queries (a count and a page) however many services the shop has; a record costs a fixed handful.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, or_, select

from ..extensions import db
from ..models import (
    BillingCycle,
    Customer,
    Invoice,
    Order,
    OrderLine,
    Plan,
    Service,
    ServiceEvent,
    ServiceStatus,
    SuspensionReason,
    TeamMember,
    utcnow,
)
from ..paging import PageCount
from ..whole_numbers import whole_number
from .due_dates import last_day_of, local_date
from .life import history

PAGE_SIZE = 50
INVOICES_SHOWN = 50
DAYS_MAX = 366
ENDED = (ServiceStatus.CANCELLED, ServiceStatus.TERMINATED)
STATUSES = tuple(status.value for status in ServiceStatus)
DUE_FILTERS = ("", "overdue", "within", "between")
SORTS = ("due", "due-desc")
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


class BadServiceFilter(ValueError):
    """A list filter that cannot be read; the message tells a person what the list accepts."""


@dataclass(frozen=True)
class ServiceFilter:
    """What the services list shows: a status ('' for all), a due-date filter and the order."""

    status: str = ""
    due: str = ""  # '' (any), 'overdue', 'within' (``days``), 'between' (``since`` to ``until``)
    days: int | None = None
    since: date | None = None
    until: date | None = None
    sort: str = "due"

    def query_args(self) -> dict[str, str]:
        """The filter as the list's query arguments (for its pager and links), defaults left out."""
        args = {"status": self.status, "due": self.due, "sort": "" if self.sort == "due" else self.sort}
        if self.due == "within":
            args["days"] = str(self.days)
        if self.due == "between":
            args["from"] = self.since.isoformat() if self.since else ""
            args["to"] = self.until.isoformat() if self.until else ""
        return {key: value for key, value in args.items() if value}


def _day(raw: str, which: str) -> date | None:
    text = raw.strip()
    if not text:
        return None
    match = _DAY.fullmatch(text)
    if match is not None:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise BadServiceFilter(f"Write the {which} date as year-month-day, for example 2026-03-31.")


def parse_service_filter(args: Mapping[str, str]) -> ServiceFilter:
    """Return the filter a list's query arguments ask for, or raise ``BadServiceFilter`` saying why."""
    status = args.get("status", "").strip().lower()
    if status and status not in STATUSES:
        raise BadServiceFilter("Filter services by pending, active, suspended, cancelled or terminated.")
    due = args.get("due", "").strip().lower()
    if due not in DUE_FILTERS:
        raise BadServiceFilter(
            "Choose services overdue, due within a number of days, or due between two dates."
        )
    sort = args.get("sort", "").strip().lower() or "due"
    if sort not in SORTS:
        raise BadServiceFilter("Sort services by next due date, soonest or latest first.")
    chosen = ServiceFilter(status=status, due=due, sort=sort)
    if due == "within":
        days = whole_number(args.get("days", "").strip()[:12], most=DAYS_MAX)
        if days is None:
            raise BadServiceFilter(f"Enter the number of days as a whole number from 0 to {DAYS_MAX}.")
        return ServiceFilter(status, due, days=days, sort=sort)
    if due == "between":
        since, until = _day(args.get("from", "")[:20], "first"), _day(args.get("to", "")[:20], "last")
        if since is None and until is None:
            raise BadServiceFilter("Enter the first date, the last date, or both.")
        if since and until and since > until:
            raise BadServiceFilter("The first date must not be after the last one.")
        return ServiceFilter(status, due, since=since, until=until, sort=sort)
    return chosen


@dataclass(frozen=True)
class ServiceRow:
    """One service as the list shows it."""

    number: int
    customer_id: int
    customer_number: int
    customer_name: str
    plan_name: str
    domain: str
    cycle: BillingCycle
    recurring_minor: int | None
    currency: str | None
    status: ServiceStatus
    suspension_reason: SuspensionReason | None
    next_due_on: date | None
    ends_at_term: bool
    today: date

    @property
    def ended(self) -> bool:
        """True once the service is cancelled or terminated: it is due never again."""
        return self.status in ENDED

    @property
    def overdue(self) -> bool:
        """True when a service still running is past its due date unpaid."""
        return not self.ended and self.next_due_on is not None and self.next_due_on < self.today


@dataclass(frozen=True)
class ServicePage(PageCount):
    """A page of the shop's services matching a filter."""

    per_page = PAGE_SIZE

    rows: list[ServiceRow]
    total: int
    page: int
    filter: ServiceFilter
    today: date


def _matching(reseller_id: int, chosen: ServiceFilter, today: date) -> ColumnElement[bool]:
    condition = Service.reseller_id == reseller_id
    if chosen.status:
        condition &= Service.status == ServiceStatus(chosen.status)
    if chosen.due:
        condition &= Service.status.not_in(ENDED) & Service.next_due_on.is_not(None)
    if chosen.due == "overdue":
        condition &= Service.next_due_on < today
    elif chosen.due == "within":
        condition &= Service.next_due_on.between(today, today + timedelta(days=chosen.days))
    elif chosen.due == "between":
        if chosen.since is not None:
            condition &= Service.next_due_on >= chosen.since
        if chosen.until is not None:
            condition &= Service.next_due_on <= chosen.until
    return condition


def _ordered(query: Select, sort: str) -> Select:
    due = Service.next_due_on.desc() if sort == "due-desc" else Service.next_due_on
    number = Service.number.desc() if sort == "due-desc" else Service.number
    # Services without a due date (ended, or never started) come last either way.
    return query.order_by(Service.status.in_(ENDED), Service.next_due_on.is_(None), due, number)


def service_page(
    reseller_id: int, timezone: str, chosen: ServiceFilter, page: int, now: datetime | None = None
) -> ServicePage:
    """Return a page of the shop's services matching ``chosen``, in two queries."""
    today = local_date(now or utcnow(), timezone)
    condition = _matching(reseller_id, chosen, today)
    total = db.session.scalar(select(func.count(Service.id)).where(condition))
    found = db.session.execute(
        _ordered(
            select(
                Service.number,
                Customer.id,
                Customer.number,
                Customer.name,
                Plan.name,
                Service.domain,
                Service.cycle,
                Service.recurring_minor,
                Service.currency,
                Service.status,
                Service.suspension_reason,
                Service.next_due_on,
                Service.ends_at_term,
            )
            .join(Customer, Customer.id == Service.customer_id)
            .join(Plan, Plan.id == Service.plan_id)
            .where(condition),
            chosen.sort,
        )
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return ServicePage([ServiceRow(*row, today) for row in found], total, page, chosen, today)


def shop_service(reseller_id: int, number: int) -> Service | None:
    """Return one of the shop's services by its number in the shop."""
    return db.session.scalar(
        select(Service).where(Service.reseller_id == reseller_id, Service.number == number)
    )


@dataclass(frozen=True)
class HistoryLine:
    """One change in a service's history, with who made it in words the shop's team reads."""

    event: ServiceEvent
    who: str


@dataclass(frozen=True)
class ServiceRecord:
    """What the console shows of one service: its customer, plan, order, invoices and history."""

    service: Service
    customer: Customer
    plan_name: str
    order_number: int | None
    invoices: list[Invoice]
    history: list[HistoryLine] = field(default_factory=list)
    today: date | None = None

    @property
    def ended(self) -> bool:
        """True once the service is cancelled or terminated."""
        return self.service.status in ENDED

    @staticmethod
    def last_day(invoice: Invoice) -> date | None:
        """The last day a renewal invoice's period covers (the day before the next due date)."""
        return last_day_of(invoice.period_end) if invoice.period_end else None

    @property
    def suspended_by_shop(self) -> bool:
        """True when the service is suspended by a decision (the shop's or staff's), not for non-payment."""
        return (
            self.service.status == ServiceStatus.SUSPENDED
            and self.service.suspension_reason == SuspensionReason.STAFF
        )


def actor_names(reseller_id: int, actors: list[str]) -> dict[str, str]:
    """Name each actor of a history (``system``, ``customer:<id>``, ``team:<id>``, ``staff:<email>``) for the
    shop's team, looking up the team members in one query."""
    team_ids = {
        int(actor[5:])
        for actor in actors
        if actor.startswith("team:") and whole_number(actor[5:]) is not None
    }
    members = {}
    if team_ids:
        members = dict(
            db.session.execute(
                select(TeamMember.id, TeamMember.name).where(
                    TeamMember.reseller_id == reseller_id, TeamMember.id.in_(team_ids)
                )
            ).all()
        )
    names = {}
    for actor in actors:
        kind, _, who = actor.partition(":")
        if kind == "team":
            names[actor] = members.get(whole_number(who) or 0, "A former team member")
        elif kind == "customer":
            names[actor] = "The customer"
        elif kind == "staff":
            names[actor] = "Platform staff"
        else:
            names[actor] = "Billing (automatic)"
    return names


def service_record(
    reseller_id: int, timezone: str, service: Service, now: datetime | None = None
) -> ServiceRecord:
    """Return everything the service's console page shows, in a fixed number of queries."""
    customer = db.session.get(Customer, service.customer_id)
    plan_name = db.session.scalar(select(Plan.name).where(Plan.id == service.plan_id))
    order_id, order_number = db.session.execute(
        select(Order.id, Order.number)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.reseller_id == reseller_id, OrderLine.id == service.order_line_id)
    ).one()
    invoices = db.session.scalars(
        select(Invoice)
        .where(
            Invoice.reseller_id == reseller_id,
            or_(Invoice.service_id == service.id, Invoice.order_id == order_id),
        )
        .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
        .limit(INVOICES_SHOWN)
    ).all()
    events = history(service)
    names = actor_names(reseller_id, sorted({event.actor for event in events}))
    return ServiceRecord(
        service,
        customer,
        plan_name,
        order_number,
        list(invoices),
        [HistoryLine(event, names[event.actor]) for event in events],
        local_date(now or utcnow(), timezone),
    )
