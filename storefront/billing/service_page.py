"""What the customer's page of one service shows: the service and its plan, its invoices (the order's and
each renewal's and plan change's), a readable history, and what the customer may change today.

A fixed handful of queries however long the service's life: the service with its plan, its invoices, its
history, and the shop's offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..branding.shops import ShopLike
from ..catalog.offers import list_offers
from ..extensions import db
from ..models import BillingCycle, Customer, Invoice, InvoicePurpose, InvoiceStatus, OrderLine, Service
from .due_dates import local_date
from .life import SYSTEM, history
from .plan_changes import PlanChoice, blocker, plan_choices

EVENTS = {
    "created": "Bought",
    "activated": "Set up",
    "renewed": "Renewed",
    "suspended": "Suspended",
    "unsuspended": "Restored",
    "terminated": "Terminated",
    "cancelled": "Cancelled",
    "ends_at_term": "Asked to end at the end of the term",
    "renews_again": "Set to renew again",
    "auto_renew_off": "Automatic renewal turned off",
    "auto_renew_on": "Automatic renewal turned on",
    "price_change_scheduled": "New price announced",
    "price_changed": "New price applies",
    "cycle_change_scheduled": "Change of billing cycle asked for",
    "cycle_changed": "Billing cycle changed",
    "cycle_change_withdrawn": "Change of billing cycle withdrawn",
    "plan_change_invoiced": "Plan change invoiced",
    "plan_changed": "Plan changed",
    "plan_change_withdrawn": "Plan change withdrawn",
    "plan_change_not_applied": "Plan change paid too late to apply",
    "renewal_not_applied": "Payment not applied",
    "paid_after_end": "Paid after the service ended",
    "invoice_cancelled": "Invoice cancelled",
}


@dataclass(frozen=True)
class HistoryLine:
    """One change as the customer reads it: when, by whom (you, the shop, or automatic), what and why."""

    at: datetime
    who: str
    what: str
    reason: str


@dataclass(frozen=True)
class ServicePage:
    """Everything the service page shows."""

    service: Service
    invoices: list[Invoice]
    history: list[HistoryLine]
    today: date
    choices: list[PlanChoice]
    change_blocker: str | None
    open_change: Invoice | None
    cycles: list[tuple[BillingCycle, int]]  # the other cycles the shop sells the plan in, with prices
    plan_names: dict[int, str]

    @property
    def open_renewal(self) -> Invoice | None:
        """The renewal invoice still to pay, if any."""
        return next(
            (
                invoice
                for invoice in self.invoices
                if invoice.purpose == InvoicePurpose.RENEWAL and invoice.status == InvoiceStatus.ISSUED
            ),
            None,
        )


def find_service(shop: ShopLike, customer: Customer, number: int) -> Service | None:
    """Return one of the customer's services by its number in this shop, with its plan."""
    return db.session.scalar(
        select(Service)
        .where(Service.reseller_id == shop.id, Service.customer_id == customer.id, Service.number == number)
        .options(joinedload(Service.plan, innerjoin=True))
    )


def service_page(shop: ShopLike, customer: Customer, service: Service, now: datetime) -> ServicePage:
    """Read what the service's page shows at ``now``."""
    invoices = _invoices(shop, customer, service)
    own = [invoice for invoice in invoices if invoice.service_id == service.id]
    today = local_date(now, shop.timezone)
    offers = list_offers(shop)
    why_not = blocker(service, own, today)
    open_change = next(
        (i for i in own if i.purpose == InvoicePurpose.PLAN_CHANGE and i.status == InvoiceStatus.ISSUED), None
    )
    choices = [] if why_not or open_change else plan_choices(shop, service, today, offers)
    current = next((offer for offer in offers if offer.plan_id == service.plan_id), None)
    cycles = [
        (price.cycle, price.amount_minor)
        for price in sorted(current.prices if current else [], key=lambda p: p.cycle.months)
        if price.cycle != service.cycle
    ]
    return ServicePage(
        service=service,
        invoices=invoices,
        history=[_line(shop, customer, event) for event in reversed(history(service))],
        today=today,
        choices=choices,
        change_blocker=why_not,
        open_change=open_change,
        cycles=cycles,
        plan_names={offer.plan_id: offer.plan.name for offer in offers},
    )


def _invoices(shop: ShopLike, customer: Customer, service: Service) -> list[Invoice]:
    """The order's invoice and the service's own, newest first, in one query."""
    order_id = select(OrderLine.order_id).where(OrderLine.id == service.order_line_id).scalar_subquery()
    return list(
        db.session.scalars(
            select(Invoice)
            .where(
                Invoice.reseller_id == shop.id,
                Invoice.customer_id == customer.id,
                or_(Invoice.service_id == service.id, Invoice.order_id == order_id),
            )
            .order_by(Invoice.number.desc())
        )
    )


def _line(shop: ShopLike, customer: Customer, event) -> HistoryLine:
    if event.actor == f"customer:{customer.id}":
        who = "You"
    elif event.actor == SYSTEM:
        who = "Automatic"
    else:  # the shop's team or the platform's staff: the customer sees the shop
        who = shop.brand_name
    what = EVENTS.get(event.what, event.what.replace("_", " ").capitalize())
    return HistoryLine(event.at, who, what, event.reason or "")
