"""What paying a renewal invoice does, whichever path paid it (card callback, bank transfer, credit).

``fulfilment`` calls ``renewal_paid`` inside the payment's transaction, after commerce locked and
settled the invoice. The service is locked too (on PostgreSQL), so a billing run working on it waits or
skips it; the due date moves exactly once, keyed by the invoice: only from the period's first day to
its end, with a ``renewed`` history row that a unique index allows once per invoice.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select

from ..branding.links import shop_url
from ..commerce.account_credit import add_credit_entry, lock_customer
from ..commerce.invoices import invoice_label
from ..commerce.payments import ACCOUNT_CREDIT
from ..domain_names import display_domain
from ..extensions import db
from ..mail.outbox import send_templated
from ..models import (
    CreditSource,
    Customer,
    Invoice,
    InvoicePurpose,
    InvoiceStatus,
    LedgerEntry,
    OrderLine,
    PlanPrice,
    RefundDue,
    Reseller,
    Service,
    ServiceStatus,
    SuspensionReason,
)
from .due_dates import local_date
from .life import SYSTEM, locked_service, record_event
from .notices import day_text

ENDED = (ServiceStatus.TERMINATED, ServiceStatus.CANCELLED)


def renewal_paid(invoice: Invoice) -> None:
    """Extend the invoice's service by its period, charge the shop wholesale, lift a suspension for
    non-payment, and send the receipt; a service that has ended is not revived: the money is owed back."""
    service = locked_service(invoice.service_id)
    shop = db.session.get(Reseller, invoice.reseller_id)
    label = invoice_label(invoice.number)
    if service.status in ENDED:
        owe_back(invoice, "Renewal paid after the service had ended")
        record_event(
            service,
            "paid_after_end",
            SYSTEM,
            reason=f"{label} paid after the service was {service.status.value}; the money is to be refunded",
            invoice_id=invoice.id,
        )
        _receipt(shop, service, invoice, ended=True)
        return
    if service.next_due_on != invoice.period_start:
        owe_back(invoice, "Renewal for a period the service was not due for")
        record_event(
            service,
            "renewal_not_applied",
            SYSTEM,
            reason=f"{label} is for {day_text(invoice.period_start)}, "
            f"but the service is due {_day(service.next_due_on)}; the money is to be refunded",
            invoice_id=invoice.id,
        )
        _receipt(shop, service, invoice, not_applied=True)
        return
    service.next_due_on = invoice.period_end
    record_event(
        service,
        "renewed",
        SYSTEM,
        reason=f"{label} paid; next due {day_text(invoice.period_end)}",
        invoice_id=invoice.id,
        now=invoice.paid_at,
    )
    db.session.add(_wholesale_charge(invoice, service))
    unsuspended = _lift_overdue_suspension(shop, service, invoice)
    _receipt(shop, service, invoice, unsuspended=unsuspended)


def _day(day: date | None) -> str:
    return day_text(day) if day else "no date"


def _lift_overdue_suspension(shop: Reseller, service: Service, invoice: Invoice) -> bool:
    """Unsuspend only a suspension for non-payment, and only when no other renewal is overdue."""
    if service.status != ServiceStatus.SUSPENDED or service.suspension_reason != SuspensionReason.OVERDUE:
        return False
    today = local_date(invoice.paid_at, shop.timezone)
    other_overdue = db.session.scalar(
        select(
            exists().where(
                Invoice.reseller_id == service.reseller_id,
                Invoice.service_id == service.id,
                Invoice.purpose == InvoicePurpose.RENEWAL,
                Invoice.status == InvoiceStatus.ISSUED,
                Invoice.id != invoice.id,
                Invoice.period_start <= today,
            )
        )
    )
    if other_overdue:
        return False
    service.status, service.suspension_reason = ServiceStatus.ACTIVE, None
    record_event(
        service,
        "unsuspended",
        SYSTEM,
        from_status=ServiceStatus.SUSPENDED,
        to_status=ServiceStatus.ACTIVE,
        reason=f"{invoice_label(invoice.number)} paid",
        invoice_id=invoice.id,
        now=invoice.paid_at,
    )
    return True


def _wholesale_charge(invoice: Invoice, service: Service) -> LedgerEntry:
    """The shop's wholesale charge for the period: the plan's price for the cycle on the day it is paid
    (the price of the original order where the platform no longer sells that cycle)."""
    line = invoice.lines[0]
    price = db.session.execute(
        select(PlanPrice.amount_minor, PlanPrice.currency).where(
            PlanPrice.plan_id == service.plan_id, PlanPrice.cycle == service.cycle
        )
    ).first()
    if price is None:
        bought = db.session.scalar(
            select(OrderLine.wholesale_minor).where(OrderLine.id == service.order_line_id)
        )
        price = (bought or 0, invoice.currency)
    return LedgerEntry(
        reseller_id=invoice.reseller_id,
        invoice_line_id=line.id,
        plan_id=service.plan_id,
        description=line.description,
        amount_minor=price[0],
        currency=price[1],
        created_at=invoice.paid_at,  # charged the day the customer paid
    )


def owe_back(invoice: Invoice, reason: str) -> None:
    """Give back what paid the invoice: account credit applied returns to the customer's credit, and
    money paid is listed with the other refunds to make."""
    paid = invoice.total_minor - invoice.credit_applied_minor
    if invoice.payment_gateway == ACCOUNT_CREDIT.code:
        credit, paid = invoice.total_minor, 0
    else:
        credit = invoice.credit_applied_minor
    if credit:
        lock_customer(invoice.customer_id)
        add_credit_entry(
            invoice.reseller_id,
            invoice.customer_id,
            invoice.currency,
            credit,
            CreditSource.INVOICE,
            f"Returned from {invoice_label(invoice.number)}: {reason[0].lower()}{reason[1:]}",
            "system",
        )
    if paid:
        db.session.add(
            RefundDue(
                reseller_id=invoice.reseller_id,
                invoice_id=invoice.id,
                gateway=invoice.payment_gateway or "",
                event_id=None,
                charge_reference=invoice.payment_reference or invoice_label(invoice.number),
                amount_minor=paid,
                currency=invoice.currency,
                reason=reason,
            )
        )


def _receipt(
    shop: Reseller,
    service: Service,
    invoice: Invoice,
    *,
    unsuspended: bool = False,
    ended: bool = False,
    not_applied: bool = False,
) -> None:
    customer = db.session.get(Customer, invoice.customer_id)
    send_templated(
        shop,
        customer.email,
        "renewal_receipt",
        about=customer,
        customer_name=customer.name,
        invoice_label=invoice_label(invoice.number),
        amount_minor=invoice.total_minor - invoice.credit_applied_minor,
        currency=invoice.currency,
        domain=display_domain(service.domain),
        next_due_on=_day(service.next_due_on),
        unsuspended=unsuspended,
        ended=ended,
        not_applied=not_applied,
        invoice_url=shop_url(shop, f"/account/invoices/{invoice.number}"),
    )
