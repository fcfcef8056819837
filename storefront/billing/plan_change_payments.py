"""What paying a plan-change invoice does, whichever path paid it, and withdrawing plan changes the next
renewal overtook.

``fulfilment`` calls ``plan_change_paid`` inside the payment's transaction. The service is locked (on
PostgreSQL) and moves once, keyed by the invoice: a ``plan_changed`` history row that a unique index allows
once per invoice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select

from ..commerce.invoices import invoice_label
from ..extensions import db
from ..models import (
    Invoice,
    InvoicePurpose,
    InvoiceStatus,
    LedgerEntry,
    Plan,
    PlanPrice,
    Reseller,
    Service,
    ServiceEvent,
    utcnow,
)
from ..money import format_money
from .confirmations import confirm_change
from .life import RUNNING, SYSTEM, locked_service, record_event
from .notices import day_text
from .open_invoices import cancel_open_invoices
from .plan_changes import period_start, switch_plan
from .proration import share_of
from .renewals import owe_back


def plan_change_paid(invoice: Invoice) -> None:
    """Move the invoice's service to its plan and price once (called in the payment's transaction), and
    charge the shop the wholesale difference for the days paid for; a service that ended, renewed or
    changed plan meanwhile is not moved: the money is owed back."""
    service = locked_service(invoice.service_id)
    shop = db.session.get(Reseller, invoice.reseller_id)
    done = db.session.scalar(
        select(exists().where(ServiceEvent.invoice_id == invoice.id, ServiceEvent.what == "plan_changed"))
    )
    if done:
        return
    label = invoice_label(invoice.number)
    if (
        service.status not in RUNNING
        or service.next_due_on != invoice.period_end
        or service.plan_id == invoice.target_plan_id
    ):
        owe_back(invoice, "Plan change paid after it could apply")
        record_event(
            service,
            "plan_change_not_applied",
            SYSTEM,
            reason=f"{label} paid after the service had {_what_moved(service, invoice)}; "
            "the money is to be given back",
            invoice_id=invoice.id,
        )
        return
    old_plan_id, target = service.plan_id, db.session.get(Plan, invoice.target_plan_id)
    reason = (
        f"{label} paid: {db.session.get(Plan, old_plan_id).name} → {target.name}, "
        f"renews at {format_money(invoice.target_recurring_minor, invoice.currency)}"
    )
    switch_plan(
        shop, service, target.id, invoice.target_recurring_minor, SYSTEM, reason, invoice_id=invoice.id
    )
    confirm_change(
        shop,
        service,
        "plan_changed",
        old_plan=db.session.get(Plan, old_plan_id).name,
        price=format_money(invoice.target_recurring_minor, invoice.currency),
        credit="",
        due_on=day_text(service.next_due_on),
        paid_by=invoice_label(invoice.number),
    )
    charge = _wholesale_difference(service, old_plan_id, invoice)
    if charge > 0:
        line = invoice.lines[0]
        db.session.add(
            LedgerEntry(
                reseller_id=invoice.reseller_id,
                invoice_line_id=line.id,
                plan_id=target.id,
                description=line.description,
                amount_minor=charge,
                currency=invoice.currency,
            )
        )


def _what_moved(service: Service, invoice: Invoice) -> str:
    if service.status not in RUNNING:
        return f"been {service.status.value}"
    if service.plan_id == invoice.target_plan_id:
        return "moved to that plan already"
    return "renewed into a new period"


def _wholesale_difference(service: Service, old_plan_id: int, invoice: Invoice) -> int:
    """The new plan's wholesale price less the old one's for the cycle, prorated like the invoice."""
    prices = dict(
        db.session.execute(
            select(PlanPrice.plan_id, PlanPrice.amount_minor).where(
                PlanPrice.plan_id.in_([old_plan_id, invoice.target_plan_id]), PlanPrice.cycle == service.cycle
            )
        ).all()
    )
    period_days = (invoice.period_end - period_start(service)).days
    days_left = (invoice.period_end - invoice.period_start).days
    new = share_of(prices.get(invoice.target_plan_id, 0), days_left, period_days)
    return new - share_of(prices.get(old_plan_id, 0), days_left, period_days)


def withdraw_overtaken_plan_changes(
    shop: Reseller, invoice_ids: list[int], now: datetime | None = None
) -> None:
    """Cancel the open plan-change invoices of services whose next renewal invoice was just issued (the
    change was priced for a period the renewal now follows); credit applied to them goes back."""
    renewed = select(Invoice.service_id).where(Invoice.id.in_(invoice_ids))
    waiting = db.session.scalars(
        select(Invoice.service_id).where(
            Invoice.service_id.in_(renewed),
            Invoice.purpose == InvoicePurpose.PLAN_CHANGE,
            Invoice.status == InvoiceStatus.ISSUED,
        )
    ).all()
    for service_id, invoice_id, number in cancel_open_invoices(
        waiting,
        "the next renewal invoice was issued",
        SYSTEM,
        purposes=(InvoicePurpose.PLAN_CHANGE,),
        now=now,
    ):
        db.session.add(
            ServiceEvent(
                reseller_id=shop.id,
                service_id=service_id,
                at=now or utcnow(),
                actor=SYSTEM,
                what="plan_change_withdrawn",
                reason=f"{invoice_label(number)} cancelled: the next period's renewal invoice was issued",
                invoice_id=invoice_id,
            )
        )
