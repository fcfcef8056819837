"""A service's life: its first term, and the verbs that change its status, each written to its history.

Actors are written as elsewhere in the product: ``system`` (the billing run, a payment),
``customer:<id>``, ``team:<id>``, ``staff:<email>``. Each verb locks the service (on PostgreSQL) and
refuses a change that does not apply to its status with ``ServiceStateError`` (a 409 for a page).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select, update

from ..branding.links import shop_url
from ..branding.shops import ShopLike
from ..domain_names import display_domain
from ..extensions import db
from ..mail.outbox import send_templated
from ..models import (
    Customer,
    Service,
    ServiceEvent,
    ServiceStatus,
    SuspensionReason,
    utcnow,
)
from .due_dates import local_date, months_after
from .notices import day_text
from .open_invoices import cancel_open_invoices

SYSTEM = "system"
RUNNING = (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED)
REASON_MAX = 300


class ServiceStateError(ValueError):
    """The change does not apply to the service as it stands; nothing was changed."""


def record_event(
    service: Service,
    what: str,
    actor: str,
    *,
    from_status: ServiceStatus | None = None,
    to_status: ServiceStatus | None = None,
    reason: str = "",
    invoice_id: int | None = None,
    now: datetime | None = None,
) -> ServiceEvent:
    """Add one change to a service's history; the caller commits."""
    event = ServiceEvent(
        reseller_id=service.reseller_id,
        service_id=service.id,
        at=now or utcnow(),
        actor=actor[:160],
        what=what,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:REASON_MAX],
        invoice_id=invoice_id,
    )
    db.session.add(event)
    return event


def record_events(rows: Iterable[dict[str, object]]) -> None:
    """Add many changes to services' histories in one statement (the billing run's batches)."""
    rows = list(rows)
    if rows:
        db.session.execute(insert(ServiceEvent), rows)


def start_service(
    shop: ShopLike, service: Service, paid_at: datetime, recurring_minor: int, currency: str
) -> None:
    """Give a service just bought its renewal price and first due date: one cycle after the shop's date
    of payment, on that day of the month."""
    paid_on = local_date(paid_at, shop.timezone)
    service.anchor_day = paid_on.day
    service.next_due_on = months_after(paid_on, service.cycle.months, paid_on.day)
    service.recurring_minor, service.currency = recurring_minor, currency
    db.session.flush()
    record_event(
        service,
        "created",
        SYSTEM,
        to_status=service.status,
        reason=f"paid; renews {service.cycle.label.lower()}, next due {day_text(service.next_due_on)}",
        now=paid_at,
    )


def locked_service(service_id: int) -> Service:
    """Return a service, re-read and locked for the rest of the transaction (on PostgreSQL)."""
    service = db.session.scalar(
        select(Service)
        .where(Service.id == service_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if service is None:
        raise LookupError(service_id)
    return service


def _change(service: Service, what: str, to: ServiceStatus, actor: str, reason: str, **fields) -> None:
    before = service.status
    service.status = to
    for name, value in fields.items():
        setattr(service, name, value)
    record_event(service, what, actor, from_status=before, to_status=to, reason=reason)


def _tell(shop: ShopLike, service: Service, template: str, **context: object) -> None:
    customer = db.session.get(Customer, service.customer_id)
    send_templated(
        shop,
        customer.email,
        template,
        about=customer,
        customer_name=customer.name,
        domain=display_domain(service.domain),
        services_url=shop_url(shop, "/account/services"),
        **context,
    )


def cancel_open_renewals(service_ids: list[int], why: str, now: datetime | None = None) -> int:
    """Cancel the unpaid invoices (renewals, plan changes) of services that will not get their period,
    giving back any account credit applied to them (``open_invoices``); return how many were cancelled.
    The services may be invoiced again if they renew after all. The caller commits."""
    if not service_ids:
        return 0
    cancelled = cancel_open_invoices(service_ids, why, SYSTEM, now=now)
    db.session.execute(
        update(Service).where(Service.id.in_(service_ids)).values(invoiced_through=None),
        execution_options={"synchronize_session": False},
    )
    return len(cancelled)


def suspend(shop: ShopLike, service: Service, actor: str, reason: str, *, overdue: bool = False) -> None:
    """Suspend a running service for non-payment or by staff decision, and tell the customer. A service
    suspended for non-payment can be suspended by staff decision too: a payment then no longer lifts it."""
    service = locked_service(service.id)
    by_staff_over_overdue = (
        not overdue
        and service.status == ServiceStatus.SUSPENDED
        and service.suspension_reason == SuspensionReason.OVERDUE
    )
    if service.status != ServiceStatus.ACTIVE and not by_staff_over_overdue:
        raise ServiceStateError("Only an active service can be suspended.")
    kind = SuspensionReason.OVERDUE if overdue else SuspensionReason.STAFF
    _change(service, "suspended", ServiceStatus.SUSPENDED, actor, reason, suspension_reason=kind)
    _tell(shop, service, "service_suspended", overdue=overdue, reason=reason)


def unsuspend(shop: ShopLike, service: Service, actor: str, reason: str) -> None:
    """Lift a suspension, whatever its reason (a payment lifts only one for non-payment: see renewals)."""
    service = locked_service(service.id)
    if service.status != ServiceStatus.SUSPENDED:
        raise ServiceStateError("Only a suspended service can be unsuspended.")
    _change(service, "unsuspended", ServiceStatus.ACTIVE, actor, reason, suspension_reason=None)


def terminate(shop: ShopLike, service: Service, actor: str, reason: str, now: datetime | None = None) -> None:
    """End a service for good (its account is removed); tell the customer."""
    service = locked_service(service.id)
    if service.status in (ServiceStatus.TERMINATED, ServiceStatus.CANCELLED):
        raise ServiceStateError("This service has already ended.")
    _change(
        service,
        "terminated",
        ServiceStatus.TERMINATED,
        actor,
        reason,
        suspension_reason=None,
        terminated_at=now or utcnow(),
    )
    cancel_open_renewals([service.id], "the service was terminated")
    _tell(shop, service, "service_terminated", reason=reason)


def cancel(shop: ShopLike, service: Service, actor: str, reason: str) -> None:
    """Cancel a service now (not at the end of its term); tell the customer."""
    service = locked_service(service.id)
    if service.status in (ServiceStatus.TERMINATED, ServiceStatus.CANCELLED):
        raise ServiceStateError("This service has already ended.")
    _change(service, "cancelled", ServiceStatus.CANCELLED, actor, reason, suspension_reason=None)
    cancel_open_renewals([service.id], "the service was cancelled")
    _tell(
        shop, service, "service_ended", ended_on=day_text(local_date(utcnow(), shop.timezone)), reason=reason
    )


def end_at_term(
    shop: ShopLike, service: Service, actor: str, reason: str, now: datetime | None = None
) -> None:
    """Stop renewing: the service runs to its due date and is cancelled then, with no renewal invoice."""
    service = locked_service(service.id)
    if service.status not in (*RUNNING, ServiceStatus.PENDING):
        raise ServiceStateError("This service has already ended.")
    if service.ends_at_term:
        raise ServiceStateError("This service already ends at the end of its term.")
    service.ends_at_term, service.end_reason = True, reason[:REASON_MAX]
    record_event(service, "ends_at_term", actor, reason=reason, now=now)
    # Its next period will not come: an invoice already issued for it goes, with any credit applied.
    cancel_open_renewals([service.id], "the service ends at the end of its term", now=now)


def keep_renewing(shop: ShopLike, service: Service, actor: str, reason: str = "") -> None:
    """Withdraw a request to end at the end of the term."""
    service = locked_service(service.id)
    if not service.ends_at_term or service.status not in (*RUNNING, ServiceStatus.PENDING):
        raise ServiceStateError("This service is not set to end at the end of its term.")
    service.ends_at_term, service.end_reason = False, None
    record_event(service, "renews_again", actor, reason=reason)


def history(service: Service) -> list[ServiceEvent]:
    """Return a service's history, oldest first."""
    return list(
        db.session.scalars(
            select(ServiceEvent)
            .where(ServiceEvent.reseller_id == service.reseller_id, ServiceEvent.service_id == service.id)
            .order_by(ServiceEvent.at, ServiceEvent.id)
        )
    )
