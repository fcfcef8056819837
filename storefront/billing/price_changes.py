"""Recurring prices: a shop moves an existing service to a new price only with a notice emailed at least
30 days before the price applies; a change of billing cycle applies from the next renewal."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..branding.links import shop_url
from ..branding.shops import ShopLike
from ..domain_names import display_domain
from ..extensions import db
from ..mail.outbox import send_templated
from ..models import BillingCycle, Customer, Plan, Service, ServiceStatus, utcnow
from ..money import format_money
from .due_dates import local_date
from .life import RUNNING, ServiceStateError, locked_service, record_event
from .notices import claim_service_notices, day_text

NOTICE_DAYS = 30
AMOUNT_MAX = 2**31 - 1


class PriceChangeError(ValueError):
    """A price change that cannot be scheduled; the message says why."""


def schedule_price_change(
    shop: ShopLike,
    service: Service,
    new_minor: int,
    applies_from: date,
    actor: str,
    now: datetime | None = None,
) -> None:
    """Move a service to ``new_minor`` for every period that starts on or after ``applies_from``, telling
    the customer now; refused unless ``applies_from`` is at least 30 days after today (the shop's date).

    The renewal invoice of the first such period carries the new price; until then it renews as before.
    """
    now = now or utcnow()
    if type(new_minor) is not int or not 0 <= new_minor <= AMOUNT_MAX:
        raise PriceChangeError("Enter the new price as a whole amount of at least zero.")
    earliest = local_date(now, shop.timezone) + timedelta(days=NOTICE_DAYS)
    if applies_from < earliest:
        raise PriceChangeError(
            f"A new price needs {NOTICE_DAYS} days' notice: "
            f"it can apply from {day_text(earliest)} at the earliest."
        )
    service = locked_service(service.id)
    if service.status not in (*RUNNING, ServiceStatus.PENDING):
        raise ServiceStateError("This service has ended; its price no longer changes.")
    if service.invoiced_through is not None and applies_from <= service.invoiced_through:
        raise PriceChangeError("That period is already invoiced; choose a later date.")
    if service.ends_at_term:
        raise PriceChangeError("This service ends at the end of its term; it will not renew at a new price.")
    if service.next_cycle is not None:
        raise PriceChangeError(
            f"The customer moves to {service.next_cycle.label.lower()} billing from "
            f"{day_text(service.new_price_from)}; schedule a new price after that."
        )
    service.new_recurring_minor, service.new_price_from = new_minor, applies_from
    currency = service.currency or shop.currency
    reason = (
        f"{format_money(service.recurring_minor or 0, currency)} → {format_money(new_minor, currency)}"
        f" from {day_text(applies_from)}"
    )
    record_event(service, "price_change_scheduled", actor, reason=reason, now=now)
    if claim_service_notices(shop.id, [(service.id, applies_from)], "price_change", now):
        customer = db.session.get(Customer, service.customer_id)
        send_templated(
            shop,
            customer.email,
            "price_change_notice",
            about=customer,
            customer_name=customer.name,
            domain=display_domain(service.domain),
            plan_name=db.session.get(Plan, service.plan_id).name,
            old_minor=service.recurring_minor,
            new_minor=new_minor,
            currency=service.currency,
            applies_from=day_text(applies_from),
            services_url=shop_url(shop, "/account/services"),
        )


def change_cycle_at_renewal(
    shop: ShopLike, service: Service, cycle: BillingCycle, recurring_minor: int, actor: str
) -> None:
    """Bill a service by ``cycle`` at ``recurring_minor`` from its next renewal on (asked for by the
    customer, so no notice period applies)."""
    if type(recurring_minor) is not int or not 0 <= recurring_minor <= AMOUNT_MAX:
        raise PriceChangeError("Enter the price as a whole amount of at least zero.")
    service = locked_service(service.id)
    if service.status not in RUNNING or service.next_due_on is None:
        raise ServiceStateError("Only a running service changes its billing cycle.")
    if service.invoiced_through == service.next_due_on:
        raise PriceChangeError("The next renewal is already invoiced; the change applies from the one after.")
    if service.next_cycle is None and service.new_price_from is not None:
        raise PriceChangeError(
            f"The price changes on {day_text(service.new_price_from)}; "
            "the billing cycle can change after that."
        )
    service.next_cycle = None if cycle == service.cycle else cycle
    service.new_recurring_minor, service.new_price_from = recurring_minor, service.next_due_on
    record_event(
        service,
        "cycle_change_scheduled",
        actor,
        reason=f"{cycle.label.lower()} at {format_money(recurring_minor, service.currency or shop.currency)}"
        f" from {day_text(service.next_due_on)}",
    )
