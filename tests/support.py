"""Shared steps for support tests: tickets made through the services, team sign-in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Customer, Reseller, Ticket
from storefront.services.tickets import open_ticket
from tests.shop.helpers import csrf_from


def make_ticket(
    app,
    slug: str = "acme",
    email: str = "aisyah@example.com",
    subject: str = "Site down",
    body: str = "My site shows an error.",
    now: datetime | None = None,
) -> int:
    """Open a ticket for a demo customer through the service; return its id."""
    with app.app_context():
        reseller = db.session.scalar(select(Reseller).where(Reseller.slug == slug))
        customer = db.session.scalar(
            select(Customer).where(Customer.reseller_id == reseller.id, Customer.email == email)
        )
        ticket = open_ticket(reseller, subject, body, customer=customer, now=now)
        db.session.commit()
        return ticket.id


def load_ticket(app, ticket_id: int) -> Ticket:
    """Return a detached copy of a ticket with its messages loaded."""
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        _ = [m.body for m in ticket.messages]
        db.session.expunge_all()
        return ticket


def team_sign_in(client, email: str = "owner@acme-hosting.test", password: str = "storefront-demo"):
    """Sign a team member in to the console."""
    token = csrf_from(client.get("/console/login").text)
    return client.post("/console/login", data={"email": email, "password": password, "csrf_token": token})
