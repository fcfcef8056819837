"""What a shop's team does to a service from its console: suspend it, lift its own suspension, terminate
it, and move it to a new price; and cancel an unpaid order. Each goes through the service's life verbs
(``life``, ``price_changes``, ``unpaid_orders``), with a reason the customer reads.

A suspension by the shop is never lifted by a payment. Suspending a service already suspended for
non-payment turns it into the shop's suspension, so whichever comes first, the team's suspension or
a payment of the overdue invoice, the service ends suspended by the shop. A suspension for non-payment
is lifted only by paying: the team cannot lift it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from ..branding.links import shop_url
from ..branding.shops import ShopLike
from ..branding.white_label import WhiteLabelError, check_white_label
from ..catalog.pricing import PriceError, parse_money
from ..domain_names import display_domain
from ..extensions import db
from ..mail.outbox import send_templated
from ..models import Customer, Order, PlanPrice, Service, ServiceStatus, SuspensionReason, utcnow
from ..money import format_money
from .life import REASON_MAX, ServiceStateError, locked_service, record_event, suspend, terminate, unsuspend
from .price_changes import schedule_price_change
from .unpaid_orders import cancel_order

REASON_RULE = f"Give a reason the customer can read (3 to {REASON_MAX} characters)."


class ShopActionError(ValueError):
    """What the team typed cannot be used; the message says why and nothing was changed (a 400)."""


def team_reason(raw: str | None, *, required: bool = True) -> str:
    """Return a reason as it is kept and emailed: spaces folded, length, control characters and the
    white-label guard checked."""
    reason = " ".join((raw or "").split())
    if not reason and not required:
        return ""
    if not 3 <= len(reason) <= REASON_MAX:
        raise ShopActionError(REASON_RULE)
    if not reason.isprintable():
        raise ShopActionError("Remove the invisible control characters from the reason.")
    try:
        check_white_label(reason)
    except WhiteLabelError as error:
        raise ShopActionError(str(error)) from None
    return reason


def suspend_by_shop(shop: ShopLike, service: Service, actor: str, raw_reason: str | None) -> None:
    """Suspend a service by the shop's decision and email the customer why; a service suspended for
    non-payment stays suspended, now by the shop (a payment no longer lifts it)."""
    reason = team_reason(raw_reason)
    service = locked_service(service.id)
    if service.status == ServiceStatus.SUSPENDED and service.suspension_reason == SuspensionReason.OVERDUE:
        service.suspension_reason = SuspensionReason.STAFF
        record_event(
            service,
            "suspension_kept",
            actor,
            from_status=ServiceStatus.SUSPENDED,
            to_status=ServiceStatus.SUSPENDED,
            reason=reason,
        )
        _tell_suspended(shop, service, reason)
        return
    if service.status == ServiceStatus.SUSPENDED:
        raise ServiceStateError("This service is already suspended by the shop.")
    suspend(shop, service, actor, reason)


def _tell_suspended(shop: ShopLike, service: Service, reason: str) -> None:
    customer = db.session.get(Customer, service.customer_id)
    send_templated(
        shop,
        customer.email,
        "service_suspended",
        about=customer,
        customer_name=customer.name,
        domain=display_domain(service.domain),
        services_url=shop_url(shop, "/account/services"),
        overdue=False,
        reason=reason,
    )


def lift_shop_suspension(shop: ShopLike, service: Service, actor: str, raw_reason: str | None) -> None:
    """Lift a suspension the shop (or staff) decided; a suspension for non-payment is refused with why."""
    reason = team_reason(raw_reason, required=False)
    service = locked_service(service.id)
    if service.status != ServiceStatus.SUSPENDED:
        raise ServiceStateError("This service is not suspended.")
    if service.suspension_reason == SuspensionReason.OVERDUE:
        raise ServiceStateError(
            "This service is suspended because its renewal invoice is unpaid: paying the invoice lifts "
            "the suspension at once. Record a bank transfer, or suspend it yourself to keep it suspended."
        )
    unsuspend(shop, service, actor, reason)


def terminate_by_shop(shop: ShopLike, service: Service, actor: str, raw_reason: str | None) -> None:
    """End a service for good by the shop's decision and email the customer why."""
    terminate(shop, service, actor, team_reason(raw_reason))


def parse_day(raw: str | None) -> date:
    """Return the date typed as year-month-day (a date field's value)."""
    text = (raw or "").strip()
    if len(text) == 10 and text.isascii():
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ShopActionError(
        "Enter the date the new price applies from as year-month-day, for example 2026-06-01."
    )


def schedule_new_price(
    shop: ShopLike,
    service: Service,
    raw_amount: str | None,
    raw_day: str | None,
    actor: str,
    now: datetime | None = None,
) -> None:
    """Move a service to a new recurring price from a date at least 30 days ahead, never below the
    wholesale price of its cycle; the customer is emailed the notice at once."""
    currency = service.currency or shop.currency
    try:
        amount = parse_money(raw_amount or "", currency)
    except PriceError as error:
        raise ShopActionError(str(error)) from None
    applies_from = parse_day(raw_day)
    wholesale = db.session.execute(
        select(PlanPrice.amount_minor, PlanPrice.currency).where(
            PlanPrice.plan_id == service.plan_id, PlanPrice.cycle == service.cycle
        )
    ).first()
    if wholesale is not None and wholesale.currency == currency and amount < wholesale.amount_minor:
        raise ShopActionError(
            f"{format_money(amount, currency)} is below the wholesale price of "
            f"{format_money(wholesale.amount_minor, currency)}."
        )
    schedule_price_change(shop, service, amount, applies_from, actor, now or utcnow())


def cancel_order_by_shop(shop: ShopLike, order: Order, actor: str, raw_reason: str | None) -> None:
    """Cancel an unpaid order and its invoice by the shop's decision, emailing the customer why."""
    cancel_order(shop, order, actor, team_reason(raw_reason))
