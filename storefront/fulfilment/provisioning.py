"""The platform's work queue across shops: services to set up and bank transfers to confirm."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..billing.life import SYSTEM
from ..branding.white_label import WhiteLabelError, check_white_label
from ..extensions import db
from ..models import Invoice, InvoiceStatus, Plan, Reseller, Service, ServiceStatus
from .paid_orders import activate_service

USERNAME = re.compile(r"^[a-z][a-z0-9]{2,31}$")
SERVER = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,118}[a-z0-9])?$")


class ProvisioningError(ValueError):
    """A service cannot be activated as asked; the message says why."""


@dataclass(frozen=True)
class QueuedService:
    """A paid service waiting for staff, without the customer's personal data."""

    service: Service
    shop_name: str
    plan_name: str


def pending_services() -> list[QueuedService]:
    """Return paid services awaiting set-up across every shop, oldest first, in one query."""
    rows = db.session.execute(
        select(Service, Reseller.brand_name, Plan.name)
        .join(Reseller, Reseller.id == Service.reseller_id)
        .join(Plan, Plan.id == Service.plan_id)
        .where(Service.status == ServiceStatus.PENDING)
        .order_by(Service.created_at, Service.id)
    ).all()
    return [QueuedService(*row) for row in rows]


def activate(
    service_id: int,
    server: str,
    username: str,
    *,
    actor: str = SYSTEM,
    commit: bool = True,
    now: datetime | None = None,
) -> Service:
    """Activate a pending service on a server under a username."""
    server, username = server.strip().lower(), username.strip().lower()
    if not SERVER.match(server):
        raise ProvisioningError("Enter the server's host name, for example web12.")
    if not USERNAME.match(username):
        raise ProvisioningError("Use 3 to 32 lower-case letters and digits, starting with a letter.")
    try:
        check_white_label(username)  # the customer is sent it and sees it on their services
    except WhiteLabelError as error:
        raise ProvisioningError(str(error)) from None
    service = db.session.scalar(select(Service).where(Service.id == service_id).with_for_update())
    if service is None:
        raise LookupError(service_id)
    if service.status != ServiceStatus.PENDING:
        raise ProvisioningError("That service is already active.")
    activate_service(service, server, username, actor=actor, commit=commit, now=now)
    return service


@dataclass(frozen=True)
class UnpaidInvoice:
    """An issued invoice as the payments desk sees it."""

    invoice: Invoice
    shop_name: str


def unpaid_invoices() -> list[UnpaidInvoice]:
    """Return issued, unpaid invoices across shops, oldest first."""
    rows = db.session.execute(
        select(Invoice, Reseller.brand_name)
        .join(Reseller, Reseller.id == Invoice.reseller_id)
        .where(Invoice.status == InvoiceStatus.ISSUED)
        .order_by(Invoice.issued_at, Invoice.id)
    ).all()
    return [UnpaidInvoice(*row) for row in rows]
