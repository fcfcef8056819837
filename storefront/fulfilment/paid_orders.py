"""What a paid order sets in motion: services, wholesale charges, domain registrations, emails."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ..billing.life import SYSTEM, record_event, start_service
from ..branding.links import shop_url
from ..commerce.invoices import invoice_label
from ..extensions import db
from ..mail.outbox import send_templated
from ..models import (
    Customer,
    DomainRegistration,
    Invoice,
    LedgerEntry,
    LineKind,
    Nameserver,
    Order,
    OrderLine,
    OrderStatus,
    Reseller,
    Service,
    ServiceStatus,
    utcnow,
)


def fulfil_paid_order(invoice: Invoice) -> None:
    """Mark the invoice's order paid and create what it bought, in the caller's transaction."""
    order = db.session.get(Order, invoice.order_id)
    order.status, order.paid_at = OrderStatus.PAID, invoice.paid_at
    customer = db.session.get(Customer, order.customer_id)
    reseller = db.session.get(Reseller, order.reseller_id)
    for line in order.lines:
        db.session.add(_wholesale_charge(order, line))
        if line.kind == LineKind.HOSTING:
            service = _pending_service(order, line)
            db.session.add(service)
            start_service(reseller, service, invoice.paid_at, line.amount_minor, order.currency)
        if line.kind == LineKind.DOMAIN_REGISTRATION:
            db.session.add(_registration(order, line, customer, reseller))
    send_templated(
        reseller,
        customer.email,
        "payment_receipt",
        about=customer,
        customer_name=customer.name,
        invoice=invoice,
        invoice_label=invoice_label(invoice.number),
        invoice_url=shop_url(reseller, f"/account/invoices/{invoice.number}"),
    )


def _wholesale_charge(order: Order, line: OrderLine) -> LedgerEntry:
    return LedgerEntry(
        reseller_id=order.reseller_id,
        order_id=order.id,
        order_line_id=line.id,
        plan_id=line.plan_id,
        description=line.description,
        amount_minor=line.wholesale_minor,
        currency=order.currency,
        created_at=order.paid_at,  # charged the day the customer paid
    )


def _pending_service(order: Order, line: OrderLine) -> Service:
    return Service(
        reseller_id=order.reseller_id,
        order_line_id=line.id,
        customer_id=order.customer_id,
        plan_id=line.plan_id,
        cycle=line.cycle,
        domain=line.domain,
        status=ServiceStatus.PENDING,
    )


def shop_nameservers(reseller_id: int) -> list[str]:
    """Return the shop's private nameserver names, in order."""
    return list(
        db.session.scalars(
            select(Nameserver.hostname)
            .where(Nameserver.reseller_id == reseller_id)
            .order_by(Nameserver.position)
        )
    )


def _registration(
    order: Order, line: OrderLine, customer: Customer, reseller: Reseller
) -> DomainRegistration:
    """Registrant: the customer. Admin, tech and billing: the reseller. Zone: the platform."""
    shop_contact = {
        "organisation": reseller.legal_name,
        "email": reseller.support_email,
        "phone": reseller.support_phone,
        "address": reseller.postal_address,
    }
    config = current_app.config
    return DomainRegistration(
        reseller_id=order.reseller_id,
        order_line_id=line.id,
        customer_id=customer.id,
        domain=line.domain,
        registrant={"name": customer.name, "email": customer.email},
        admin_contact=shop_contact,
        tech_contact=shop_contact,
        billing_contact=shop_contact,
        zone_contact={"organisation": config["PLATFORM_NAME"], "email": config["PLATFORM_SUPPORT_EMAIL"]},
        nameservers=shop_nameservers(order.reseller_id),
    )


def activate_service(
    service: Service,
    server: str,
    username: str,
    *,
    actor: str = SYSTEM,
    commit: bool = True,
    now: datetime | None = None,
) -> None:
    """Record the account staff set up and tell the customer, with the shop's nameservers."""
    service.status, service.server, service.username = ServiceStatus.ACTIVE, server, username
    service.activated_at = now or utcnow()
    record_event(
        service,
        "activated",
        actor,
        from_status=ServiceStatus.PENDING,
        to_status=ServiceStatus.ACTIVE,
        now=service.activated_at,
    )
    reseller = db.session.get(Reseller, service.reseller_id)
    customer = db.session.get(Customer, service.customer_id)
    send_templated(
        reseller,
        customer.email,
        "service_active",
        about=customer,
        customer_name=customer.name,
        service=service,
        nameservers=shop_nameservers(reseller.id),
        services_url=shop_url(reseller, "/account/services"),
    )
    if commit:
        db.session.commit()
