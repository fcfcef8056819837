"""What a customer asks of their own service: automatic renewal off or on, ending at the end of the term
(and changing their mind), cancelling now, and a change of billing cycle from the next renewal.

Each verb takes the shop first, locks the service, writes its history under the customer's actor, and
emails a confirmation; the caller commits. Cancelling now ends the service at once with no automatic
refund of the unused days (the shop may issue a credit note), and cancels its unpaid invoices.
"""

from __future__ import annotations

from ..branding.shops import ShopLike
from ..commerce.invoices import invoice_label
from ..models import BillingCycle, Service, ServiceStatus
from ..money import format_money
from .confirmations import confirm_change
from .life import RUNNING, ServiceStateError, cancel, end_at_term, keep_renewing, locked_service, record_event
from .notices import day_text
from .open_invoices import cancel_open_invoices
from .plan_changes import offer_price
from .price_changes import PriceChangeError, change_cycle_at_renewal

REASON_RULE = "Please tell us why, in 3 to 300 characters."


class RequestError(ValueError):
    """A request that cannot be made as typed; the message says why (a 400)."""


def clean_reason(raw: str | None) -> str:
    """Return the customer's reason with spaces folded, 3 to 300 printable characters."""
    reason = " ".join((raw or "").split())
    if not 3 <= len(reason) <= 300:
        raise RequestError(REASON_RULE)
    if not reason.isprintable():
        raise RequestError("Please remove the invisible control characters from the reason.")
    return reason


def set_auto_renew(shop: ShopLike, service: Service, on: bool, actor: str) -> None:
    """Turn automatic renewal on or off: off, no renewal invoice is issued and the service ends with its
    term; on again before then, renewal resumes (credit pays the invoice first)."""
    service = locked_service(service.id)
    if service.status not in (*RUNNING, ServiceStatus.PENDING):
        raise ServiceStateError("This service has ended.")
    if service.auto_renew == on:
        raise ServiceStateError(f"Automatic renewal is already {'on' if on else 'off'}.")
    service.auto_renew = on
    record_event(service, "auto_renew_on" if on else "auto_renew_off", actor)
    confirm_change(shop, service, "auto_renew_on" if on else "auto_renew_off", **_due(service))


def ask_to_end_at_term(shop: ShopLike, service: Service, raw_reason: str, actor: str) -> None:
    """Stop the service at the end of its term, with the customer's reason."""
    reason = clean_reason(raw_reason)
    end_at_term(shop, service, actor, reason)
    confirm_change(shop, service, "ends_at_term", reason=reason, **_due(service))


def withdraw_end_at_term(shop: ShopLike, service: Service, actor: str) -> None:
    """Keep renewing after all, while the term has not ended."""
    keep_renewing(shop, service, actor, "asked by the customer")
    confirm_change(shop, service, "renews_again", **_due(service))


def cancel_now(shop: ShopLike, service: Service, raw_reason: str, actor: str) -> list[int]:
    """Cancel the service at once, with the customer's reason; cancel its unpaid renewal and plan-change
    invoices (credit applied to them goes back). Return the numbers of the invoices cancelled."""
    reason = clean_reason(raw_reason)
    service = locked_service(service.id)
    if service.status in (ServiceStatus.TERMINATED, ServiceStatus.CANCELLED):
        raise ServiceStateError("This service has already ended.")
    cancelled = cancel_open_invoices([service.id], "the service was cancelled", actor)
    cancel(shop, service, actor, reason)  # emails that the service has ended
    for _service, invoice_id, number in cancelled:
        record_event(service, "invoice_cancelled", actor, reason=invoice_label(number), invoice_id=invoice_id)
    return [number for _s, _i, number in cancelled]


def change_cycle(shop: ShopLike, service: Service, raw_cycle: str | None, actor: str) -> None:
    """Bill the service by another cycle from its next renewal, at the shop's price for that cycle."""
    try:
        cycle = BillingCycle(raw_cycle or "")
    except ValueError:
        raise RequestError("Please choose how often to be billed.") from None
    if cycle == service.cycle:
        raise RequestError(f"This service is already billed {cycle.label.lower()}.")
    price = offer_price(shop, service.plan_id, cycle)
    if price is None:
        raise RequestError(f"We do not sell this plan billed {cycle.label.lower()}.")
    try:
        change_cycle_at_renewal(shop, service, cycle, price, actor)
    except PriceChangeError as error:
        raise RequestError(str(error)) from None
    confirm_change(
        shop,
        service,
        "cycle_scheduled",
        cycle=cycle.label.lower(),
        price=format_money(price, service.currency or shop.currency),
        **_due(service),
    )


def withdraw_cycle_change(shop: ShopLike, service: Service, actor: str) -> None:
    """Keep the current billing cycle and price after all."""
    service = locked_service(service.id)
    if service.next_cycle is None or service.status not in RUNNING:
        raise ServiceStateError("No change of billing cycle is waiting.")
    if service.invoiced_through == service.next_due_on:
        raise ServiceStateError("The next renewal is already invoiced with the new cycle.")
    service.next_cycle = service.new_recurring_minor = service.new_price_from = None
    record_event(service, "cycle_change_withdrawn", actor, reason=f"stays {service.cycle.label.lower()}")
    confirm_change(shop, service, "cycle_withdrawn", cycle=service.cycle.label.lower(), **_due(service))


def _due(service: Service) -> dict[str, str]:
    return {"due_on": day_text(service.next_due_on)} if service.next_due_on else {"due_on": ""}
