"""Moving a running service to another plan the shop sells in its cycle, priced for the rest of the paid
period (``proration``), with the due date unchanged.

The period is the one that ends on the next due date and began one cycle before it; the shop's date today
counts as a day left. An upgrade (the new price's days left cost more than the old price's unused days are
worth) issues an invoice of purpose ``plan_change`` for the difference, with the plan and price it moves
to; account credit pays it first, and paying it by any path moves the service once, keyed by the
invoice (``plan_change_paid``, called by ``fulfilment``), and charges the shop the plan's wholesale
difference prorated the same way. A downgrade moves at once and its surplus becomes account credit: never
a negative invoice, and no wholesale change. One plan-change invoice is open per service (a partial
unique index); it is withdrawn when the next renewal invoice is issued, or by the customer.

Refused: a service that is not active, the plan it is on, a plan the shop does not sell in the service's
cycle, a service whose next renewal invoice is issued and unpaid (the change waits for that period to be
paid and to start), and a service paid ahead (the change waits for the paid period to start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..branding.links import shop_url
from ..branding.shops import ShopLike
from ..catalog.offers import list_offers
from ..commerce.account_credit import add_credit_entry, apply_account_credit, lock_customer
from ..commerce.invoices import invoice_label
from ..domain_names import display_domain
from ..extensions import db
from ..models import (
    BillingCycle,
    CreditSource,
    Customer,
    Invoice,
    InvoiceLine,
    InvoicePurpose,
    InvoiceStatus,
    Offer,
    Plan,
    Reseller,
    Service,
    ServiceStatus,
    utcnow,
)
from ..money import format_money
from .confirmations import confirm_change
from .due_dates import last_day_of, local_date, months_after
from .life import locked_service, record_event
from .notices import day_text
from .open_invoices import cancel_open_invoices
from .proration import PlanChangeQuote, quote_plan_change


class PlanChangeError(ValueError):
    """A plan change that cannot be made; the message says why (a 400)."""


class PlanChangeStale(PlanChangeError):
    """The confirmation page no longer matches the service (a 409): nothing was changed."""


@dataclass(frozen=True)
class PlanChoice:
    """Another plan the shop sells in the service's cycle, priced for the rest of the period."""

    plan_id: int
    code: str
    name: str
    amount_minor: int  # the shop's price for the service's cycle
    currency: str
    quote: PlanChangeQuote

    @property
    def upgrade(self) -> bool:
        """Whether the change is invoiced (else its surplus, if any, becomes account credit)."""
        return self.quote.charge_minor > self.quote.credit_minor

    @property
    def difference_minor(self) -> int:
        """The charge less the credit: positive is invoiced, negative becomes account credit."""
        return self.quote.charge_minor - self.quote.credit_minor


@dataclass(frozen=True)
class PlanChanged:
    """What a confirmed change did: the invoice an upgrade issued (maybe paid by credit already), or
    the credit a downgrade gave."""

    invoice: Invoice | None = None
    credit_minor: int = 0


def period_start(service: Service) -> date:
    """The first day of the period that ends on the service's next due date."""
    due = service.next_due_on
    return months_after(due, -service.cycle.months, service.anchor_day or due.day)


def blocker(service: Service, invoices: list[Invoice], today: date) -> str | None:
    """Why the service cannot change plan today (``invoices``: its own), or None when it can."""
    if service.status != ServiceStatus.ACTIVE:
        return {
            ServiceStatus.PENDING: "This service is still being set up; its plan changes once it is active.",
            ServiceStatus.SUSPENDED: "A suspended service cannot change plan.",
        }.get(service.status, "This service has ended.")
    if service.next_due_on is None or service.recurring_minor is None:
        return "This service has no paid period to change within."
    for invoice in invoices:
        if invoice.purpose == InvoicePurpose.RENEWAL and invoice.status == InvoiceStatus.ISSUED:
            return (
                f"The renewal invoice {invoice_label(invoice.number)} for the period from "
                f"{day_text(invoice.period_start)} is waiting to be paid: the plan can change once it "
                f"is paid and that period has started."
            )
    if today >= service.next_due_on:
        return (
            f"The period paid for ended on {day_text(last_day_of(service.next_due_on))}: "
            "the plan can change once the next one is paid."
        )
    starts = period_start(service)
    if today < starts:
        return f"The period from {day_text(starts)} is already paid: the plan can change from that day."
    return None


def plan_choices(
    shop: ShopLike, service: Service, today: date, offers: list[Offer] | None = None
) -> list[PlanChoice]:
    """The shop's other visible offers sold in the service's cycle, each with its quote for today
    (``offers``: the shop's visible offers, when the caller has them)."""
    starts, choices = period_start(service), []
    for offer in list_offers(shop) if offers is None else offers:
        price = offer.price_for(service.cycle)
        if offer.plan_id == service.plan_id or price is None:
            continue
        quote = quote_plan_change(
            service.recurring_minor, price.amount_minor, starts, service.next_due_on, today
        )
        choices.append(
            PlanChoice(
                offer.plan_id, offer.plan.code, offer.plan.name, price.amount_minor, price.currency, quote
            )
        )
    return choices


def service_invoices(service: Service) -> list[Invoice]:
    """The service's renewal and plan-change invoices, newest first."""
    return list(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.reseller_id == service.reseller_id, Invoice.service_id == service.id)
            .order_by(Invoice.number.desc())
        )
    )


def change_plan(
    shop: ShopLike,
    service: Service,
    plan_code: str,
    actor: str,
    *,
    from_plan: str | None = None,
    quoted_minor: int | None = None,
    now: datetime | None = None,
) -> PlanChanged:
    """Move the service to the plan ``plan_code`` as confirmed on a page that showed it on ``from_plan``
    with a difference of ``quoted_minor``; an upgrade is invoiced, a downgrade applies at once.

    The same confirmation sent twice gives the first outcome: the open invoice, or nothing more.
    """
    now = now or utcnow()
    service = locked_service(service.id)
    current = db.session.get(Plan, service.plan_id)
    invoices = service_invoices(service)
    open_change = next((i for i in invoices if _open_change(i)), None)
    target = (plan_code or "").strip().lower()
    if open_change is not None:
        if db.session.get(Plan, open_change.target_plan_id).code == target:
            return PlanChanged(invoice=open_change)
        raise PlanChangeError(
            f"A move to another plan is waiting for payment ({invoice_label(open_change.number)}): "
            "pay it or withdraw it first."
        )
    if from_plan is not None and from_plan != current.code:
        if target == current.code:
            return PlanChanged()  # this confirmation was applied already
        raise PlanChangeStale(
            "This page is out of date: the service's plan has changed since. Nothing was changed."
        )
    if target == current.code:
        raise PlanChangeError(f"This service is already on the {current.name} plan.")
    today = local_date(now, shop.timezone)
    why_not = blocker(service, invoices, today)
    if why_not:
        raise PlanChangeError(why_not)
    choice = next((c for c in plan_choices(shop, service, today) if c.code == target), None)
    if choice is None:
        raise PlanChangeError(f"Please choose one of the plans we sell {service.cycle.label.lower()}.")
    if quoted_minor is not None and quoted_minor != choice.difference_minor:
        raise PlanChangeStale("The amounts have changed since this page was opened. Nothing was changed.")
    if choice.upgrade:
        invoice = _invoice_upgrade(shop, service, current, choice, today, actor, now)
        if invoice.status == InvoiceStatus.ISSUED:  # else account credit paid it: the switch said so
            confirm_change(
                shop,
                service,
                "plan_change_invoiced",
                new_plan=choice.name,
                invoice_label=invoice_label(invoice.number),
                amount_due=format_money(invoice.amount_due_minor, invoice.currency),
                invoice_url=shop_url(shop, f"/account/invoices/{invoice.number}"),
            )
        return PlanChanged(invoice=invoice)
    credit = choice.quote.to_account_credit_minor
    switch_plan(
        shop, service, choice.plan_id, choice.amount_minor, actor, _moved(current, choice, today), now=now
    )
    if credit:
        lock_customer(service.customer_id)
        add_credit_entry(
            service.reseller_id,
            service.customer_id,
            choice.currency,
            credit,
            CreditSource.PLAN_CHANGE,
            f"Unused days of {current.name} for {display_domain(service.domain)} "
            f"(service {service.number}) after moving to {choice.name}",
            actor,
        )
    confirm_change(
        shop,
        service,
        "plan_changed",
        old_plan=current.name,
        price=format_money(choice.amount_minor, choice.currency),
        credit=format_money(credit, choice.currency) if credit else "",
        due_on=day_text(service.next_due_on),
    )
    return PlanChanged(credit_minor=credit)


def _open_change(invoice: Invoice) -> bool:
    return invoice.purpose == InvoicePurpose.PLAN_CHANGE and invoice.status == InvoiceStatus.ISSUED


def _moved(current: Plan, choice: PlanChoice, today: date) -> str:
    return (
        f"{current.name} → {choice.name} from {day_text(today)}, "
        f"renews at {format_money(choice.amount_minor, choice.currency)}"
    )


def _invoice_upgrade(
    shop: ShopLike,
    service: Service,
    current: Plan,
    choice: PlanChoice,
    today: date,
    actor: str,
    now: datetime,
) -> Invoice:
    """Issue the plan-change invoice for the difference and let account credit pay it first."""
    customer = db.session.get(Customer, service.customer_id)
    seller = db.session.get(Reseller, shop.id)
    quote = choice.quote
    description = (
        f"Move from {current.name} to {choice.name} for {display_domain(service.domain)}, "
        f"{day_text(today)} to {day_text(last_day_of(service.next_due_on))} "
        f"({quote.days_left} of {quote.period_days} days): "
        f"{format_money(quote.charge_minor, choice.currency)} for {choice.name} "
        f"less {format_money(quote.credit_minor, choice.currency)} unused of {current.name}"
    )
    invoice = Invoice(
        reseller_id=shop.id,
        purpose=InvoicePurpose.PLAN_CHANGE,
        service_id=service.id,
        period_start=today,
        period_end=service.next_due_on,
        target_plan_id=choice.plan_id,
        target_recurring_minor=choice.amount_minor,
        customer_id=customer.id,
        currency=choice.currency,
        total_minor=quote.to_invoice_minor,
        seller_name=seller.legal_name,
        seller_address=seller.postal_address,
        buyer_name=customer.name,
        buyer_email=customer.email,
        issued_at=now,
    )
    invoice.lines = [
        InvoiceLine(
            reseller_id=shop.id, position=1, description=description, amount_minor=quote.to_invoice_minor
        )
    ]
    db.session.add(invoice)
    try:
        db.session.flush()
    except IntegrityError:  # the same change confirmed twice at once: the other one issued it
        db.session.rollback()
        issued = db.session.scalar(
            select(Invoice).where(
                Invoice.service_id == service.id,
                Invoice.purpose == InvoicePurpose.PLAN_CHANGE,
                Invoice.status == InvoiceStatus.ISSUED,
            )
        )
        if issued is None or issued.target_plan_id != choice.plan_id:
            raise PlanChangeStale(
                "Another change was asked for at the same time. Nothing was changed."
            ) from None
        return issued
    record_event(
        service,
        "plan_change_invoiced",
        actor,
        reason=f"{_moved(current, choice, today)} once paid",
        invoice_id=invoice.id,
    )
    apply_account_credit(invoice, recorded_by=actor)
    return invoice


def switch_plan(
    shop: ShopLike,
    service: Service,
    plan_id: int,
    recurring_minor: int,
    actor: str,
    reason: str,
    *,
    invoice_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Put the (locked) service on another plan at a new recurring price, due date unchanged.

    A price change the shop scheduled for the old plan lapses; a scheduled change of cycle stays, at
    the new plan's price for that cycle, or lapses where the shop does not sell the plan in it.
    """
    service.plan_id, service.recurring_minor = plan_id, recurring_minor
    if service.next_cycle is not None:
        price = offer_price(shop, plan_id, service.next_cycle)
        if price is None:
            service.next_cycle = None
            reason += "; the change of billing cycle lapses (not sold on this plan)"
        service.new_recurring_minor = price
        service.new_price_from = service.next_due_on if price is not None else None
    else:
        service.new_recurring_minor = service.new_price_from = None
    db.session.flush()
    record_event(service, "plan_changed", actor, reason=reason, invoice_id=invoice_id, now=now)


def offer_price(shop: ShopLike, plan_id: int, cycle: BillingCycle) -> int | None:
    """The shop's visible retail price of a plan in a cycle, if it sells it so."""
    for offer in list_offers(shop):
        if offer.plan_id == plan_id:
            price = offer.price_for(cycle)
            return price.amount_minor if price else None
    return None


def withdraw_plan_change(shop: ShopLike, service: Service, actor: str) -> int:
    """Cancel the service's unpaid plan-change invoice (credit applied to it goes back); return its number."""
    service = locked_service(service.id)
    cancelled = cancel_open_invoices(
        [service.id], "the plan change was withdrawn", actor, purposes=(InvoicePurpose.PLAN_CHANGE,)
    )
    if not cancelled:
        raise PlanChangeError("No plan change is waiting for payment.")
    number = cancelled[0][2]
    record_event(
        service,
        "plan_change_withdrawn",
        actor,
        reason=f"{invoice_label(number)} cancelled",
        invoice_id=cancelled[0][1],
    )
    confirm_change(shop, service, "plan_change_withdrawn", invoice_label=invoice_label(number))
    return number
