"""Shared steps for the escalation screen's tests: signed-in staff, tickets in given states."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import AuditEntry, Customer, Reseller, StaffRole, Ticket, utcnow
from storefront.support.escalation import escalate
from storefront.support.tickets import open_ticket
from tests.shop.helpers import csrf_from
from tests.staff.test_login import sign_in
from tests.steps import shop_id  # noqa: F401  (shared here for these tests)

STAFF = "staff.localhost"
PASSWORD = "correct horse battery"
CUSTOMERS = {"acme": "aisyah@example.com", "bluewave": "weiming@example.net", "kedai": "raj@example.org"}


def staff_client(
    client_for, make_staff, role: StaffRole = StaffRole.SUPPORT, email: str = "ops@platform.test"
):
    """Create a staff member and return a client signed in as them on the staff host."""
    make_staff(email=email, role=role)
    client = client_for(STAFF)
    sign_in(client, email, PASSWORD)
    return client


def staff_id(app: Flask, email: str = "ops@platform.test") -> int:
    """Return the id of the staff member with ``email``."""
    from storefront.models import StaffUser

    with app.app_context():
        return db.session.scalar(select(StaffUser.id).where(StaffUser.email == email))


def open_for(
    app: Flask,
    slug: str,
    subject: str = "Site down",
    body: str = "My website shows an error.",
    *,
    hours_ago: float = 0,
    escalated: bool = False,
) -> int:
    """Open a ticket for the shop's demo customer, ``hours_ago`` in the past; return its id."""
    now = utcnow() - timedelta(hours=hours_ago)
    with app.app_context():
        shop = db.session.scalar(select(Reseller).where(Reseller.slug == slug))
        customer = db.session.scalar(
            select(Customer).where(Customer.reseller_id == shop.id, Customer.email == CUSTOMERS[slug])
        )
        ticket = open_ticket(shop, subject, body, customer=customer, now=now)
        if escalated:
            escalate(shop, ticket, f"customer:{customer.id}", "asked", "Nobody answers", now=now)
        db.session.commit()
        return ticket.id


def ticket(app: Flask, ticket_id: int) -> Ticket:
    """Return a detached copy of the ticket's current row."""
    with app.app_context():
        found = db.session.get(Ticket, ticket_id)
        db.session.expunge(found)
        return found


def audit_entries(app: Flask, subject: str) -> list[tuple[str, str, str, str, int | None]]:
    """Return (actor, role, action, reason, reseller_id) of the audit entries for ``subject``."""
    with app.app_context():
        rows = db.session.execute(
            select(
                AuditEntry.actor,
                AuditEntry.actor_role,
                AuditEntry.action,
                AuditEntry.reason,
                AuditEntry.reseller_id,
            )
            .where(AuditEntry.record == subject)
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


def post(client, path: str, data: dict | None = None, page: str = "/staff/escalations"):
    """POST a form on the staff host with a CSRF token taken from ``page``."""
    token = csrf_from(client.get(page).text)
    return client.post(path, data={**(data or {}), "csrf_token": token})
