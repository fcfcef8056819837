"""The shop's orders as its owners see them: a filtered, searchable list and one order's record.

The list costs two queries (a count and a page) however many orders the shop has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Customer,
    Invoice,
    InvoiceStatus,
    Order,
    OrderStatus,
    Payment,
    Plan,
    RefundDue,
    Service,
    TeamMember,
)
from ..paging import PageCount
from ..whole_numbers import is_ascii_digits
from .customer_directory import like_pattern
from .payments import GATEWAY_LABELS
from .refunds import refunds_of_invoice

PAGE_SIZE = 25
STATUS_FILTERS = {
    "unpaid": OrderStatus.PENDING_PAYMENT,
    "paid": OrderStatus.PAID,
    "cancelled": OrderStatus.CANCELLED,
}
# "42", "#42", "INV-000042", "inv 42", "order 42": a number an owner might paste in.
NUMBER_SEARCH = re.compile(r"(?:#|inv[- ]?|order ?)?0*([0-9]{1,9})", re.IGNORECASE)


class BadFilter(ValueError):
    """A list filter the list does not offer; the message says which ones it does."""


def status_filter(raw: str | None) -> str:
    """Return a valid status filter ('' for every order), or raise ``BadFilter``."""
    value = (raw or "").strip().lower()
    if value and value not in STATUS_FILTERS:
        raise BadFilter("Filter orders by unpaid, paid or cancelled.")
    return value


@dataclass(frozen=True)
class OrderRow:
    """One order as the list shows it."""

    number: int
    created_at: datetime
    status: OrderStatus
    total_minor: int
    currency: str
    customer_id: int
    customer_number: int
    customer_name: str
    customer_email: str
    invoice_number: int | None
    invoice_status: InvoiceStatus | None
    payment_gateway: str | None

    @property
    def payment_method(self) -> str:
        """Return how the invoice was paid, for people; a dash while unpaid."""
        if self.payment_gateway is None:
            return "—"
        return GATEWAY_LABELS.get(self.payment_gateway, self.payment_gateway)


@dataclass(frozen=True)
class OrderPage(PageCount):
    """A page of the shop's orders matching a filter and a search."""

    per_page = PAGE_SIZE

    rows: list[OrderRow]
    total: int
    page: int
    status: str
    term: str


def _matching(reseller_id: int, status: str, term: str) -> ColumnElement[bool]:
    condition = Order.reseller_id == reseller_id
    if status:
        condition &= Order.status == STATUS_FILTERS[status]
    if term:
        options = [Customer.email.like(like_pattern(term.lower()), escape="\\")]
        number = NUMBER_SEARCH.fullmatch(term)
        if number:
            options += [Order.number == int(number.group(1)), Invoice.number == int(number.group(1))]
        condition &= or_(*options)
    return condition


def _joined(statement: Select) -> Select:
    return statement.join(Customer, Customer.id == Order.customer_id).outerjoin(
        Invoice, Invoice.order_id == Order.id
    )


def order_page(reseller_id: int, status: str, term: str, page: int) -> OrderPage:
    """Return a page of the shop's orders, newest first, in two queries."""
    condition = _matching(reseller_id, status, term)
    total = db.session.scalar(_joined(select(func.count(Order.id)).select_from(Order)).where(condition))
    found = db.session.execute(
        _joined(
            select(
                Order.number,
                Order.created_at,
                Order.status,
                Order.total_minor,
                Order.currency,
                Customer.id,
                Customer.number,
                Customer.name,
                Customer.email,
                Invoice.number,
                Invoice.status,
                Invoice.payment_gateway,
            )
        )
        .where(condition)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return OrderPage([OrderRow(*row) for row in found], total, page, status, term)


@dataclass(frozen=True)
class OrderRecord:
    """One order with its lines, customer, invoice, payment and the services it bought."""

    order: Order
    customer: Customer
    invoice: Invoice | None
    payment: Payment | None
    recorded_by: str
    services: list[tuple[Service, str]]
    refunds: tuple[tuple[RefundDue, str], ...] = ()

    @property
    def refunds_to_make(self) -> list[RefundDue]:
        """The refunds of this order's invoice not yet made."""
        return [refund for refund, _ in self.refunds if not refund.settled]

    @property
    def awaits_bank_transfer(self) -> bool:
        """True while the invoice is unpaid and the order still stands."""
        return (
            self.invoice is not None
            and self.invoice.status == InvoiceStatus.ISSUED
            and self.order.status == OrderStatus.PENDING_PAYMENT
        )

    @property
    def payment_method(self) -> str:
        """Return how the invoice was paid, for people."""
        gateway = self.invoice.payment_gateway if self.invoice else None
        return GATEWAY_LABELS.get(gateway, gateway or "—")


def shop_order(reseller_id: int, number: int) -> Order | None:
    """Return one of the shop's orders by its number in the shop."""
    return db.session.scalar(select(Order).where(Order.reseller_id == reseller_id, Order.number == number))


def order_record(reseller_id: int, number: int) -> OrderRecord | None:
    """Return everything the order page shows about one of the shop's orders."""
    order = db.session.scalar(
        select(Order)
        .where(Order.reseller_id == reseller_id, Order.number == number)
        .options(selectinload(Order.lines))
    )
    if order is None:
        return None
    invoice = db.session.scalar(
        select(Invoice).where(Invoice.reseller_id == reseller_id, Invoice.order_id == order.id)
    )
    payment = invoice and db.session.scalar(
        select(Payment).where(Payment.reseller_id == reseller_id, Payment.invoice_id == invoice.id)
    )
    services = db.session.execute(
        select(Service, Plan.name)
        .join(Plan, Plan.id == Service.plan_id)
        .where(
            Service.reseller_id == reseller_id, Service.order_line_id.in_([line.id for line in order.lines])
        )
        .order_by(Service.id)
    ).all()
    customer = db.session.get(Customer, order.customer_id)
    recorded_by = who_recorded(reseller_id, payment.recorded_by) if payment else ""
    refunds = tuple(
        (refund, who_recorded(reseller_id, refund.refunded_by or ""))
        for refund in (refunds_of_invoice(invoice) if invoice else [])
    )
    return OrderRecord(
        order, customer, invoice, payment, recorded_by, [tuple(row) for row in services], refunds
    )


def who_recorded(reseller_id: int, recorded_by: str) -> str:
    """Name who recorded a payment for the shop's team, never the platform's staff by name."""
    kind, _, who = recorded_by.partition(":")
    if kind == "team" and is_ascii_digits(who):
        name = db.session.scalar(
            select(TeamMember.name).where(TeamMember.reseller_id == reseller_id, TeamMember.id == int(who))
        )
        return name or "A former team member"
    if kind == "staff":
        return "The payments desk"
    return "The card gateway"
