"""Shared steps for the privacy centre's tests: customers with purchases and tickets, made through models."""

from __future__ import annotations

import json
import secrets

from flask import current_app
from sqlalchemy import select

from storefront.commerce.invoices import issue_invoice
from storefront.extensions import db
from storefront.models import (
    Attachment,
    BillingCycle,
    Customer,
    DomainRegistration,
    LineKind,
    Order,
    OrderLine,
    Plan,
    Reseller,
    Service,
    StaffUser,
    TeamMember,
)
from storefront.support.escalation import escalate
from storefront.support.tickets import add_note, add_staff_reply, add_team_reply, open_ticket
from tests.shop.helpers import DEMO_PASSWORD, csrf_from, sign_in

ACME, KEDAI = "acme.localhost", "kedai.localhost"
AISYAH = "aisyah@example.com"
HOSTILE = (
    '<script>alert(1)</script> "><img src=x onerror=alert(2)> {{7*7}} <a hx-get="/x" hx-trigger="load">x</a>'
)


def signed_in(client_for, host: str = ACME, email: str = AISYAH, password: str = DEMO_PASSWORD):
    """Return a client signed in to the shop as the customer."""
    client = client_for(host)
    assert sign_in(client, email, password).status_code == 302
    return client


def post_privacy(client, path: str, data: dict | None = None):
    """POST to the privacy centre with a CSRF token from its page."""
    token = csrf_from(client.get("/account/privacy").text)
    return client.post(path, data={**(data or {}), "csrf_token": token})


def download(client) -> dict:
    """Download the customer's data and return it parsed."""
    response = client.get("/account/privacy/export")
    assert response.status_code == 200, response.text
    return json.loads(response.get_data(as_text=True))


def add_customer(app, slug: str, email: str, name: str, password: str = DEMO_PASSWORD) -> int:
    """Open an account at a shop directly; return its id."""
    with app.app_context():
        reseller_id = db.session.scalar(select(Reseller.id).where(Reseller.slug == slug))
        customer = Customer(reseller_id=reseller_id, email=email, name=name)
        customer.set_password(password)
        db.session.add(customer)
        db.session.commit()
        return customer.id


def add_purchases(app, customer_id: int, count: int, tag: str = "mine") -> list[dict[str, int]]:
    """Give the customer ``count`` paid-for orders, each with an invoice, a service and a domain;
    return their ids, and their shop numbers (``number`` is the invoice's)."""
    made = []
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        plan_id = db.session.scalar(select(Plan.id).where(Plan.code == "starter"))
        for index in range(count):
            domain = f"{tag}-{index}.com"
            line = OrderLine(
                reseller_id=customer.reseller_id,
                kind=LineKind.HOSTING,
                plan_id=plan_id,
                cycle=BillingCycle.MONTHLY,
                domain=domain,
                description=f"Starter for {domain}",
                amount_minor=1500,
                wholesale_minor=777,
            )
            order = Order(
                reseller_id=customer.reseller_id,
                customer_id=customer.id,
                currency="MYR",
                total_minor=1500,
                idempotency_key=secrets.token_hex(8),
                lines=[line],
            )
            db.session.add(order)
            db.session.flush()
            invoice = issue_invoice(order, customer)
            service = _service(customer, line, plan_id)
            db.session.add(_registration(customer, line))
            db.session.flush()
            made.append(
                {
                    "order": order.id,
                    "invoice": invoice.id,
                    "number": invoice.number,
                    "service": service.id,
                    "order_number": order.number,
                    "service_number": service.number,
                }
            )
        db.session.commit()
    return made


def _service(customer: Customer, line: OrderLine, plan_id: int) -> Service:
    service = Service(
        reseller_id=customer.reseller_id,
        order_line_id=line.id,
        customer_id=customer.id,
        plan_id=plan_id,
        cycle=BillingCycle.MONTHLY,
        domain=line.domain,
        server=f"web1.{current_app.config['PLATFORM_DOMAINS'][0]}",
        username="hidden",
    )
    db.session.add(service)
    return service


def _registration(customer: Customer, line: OrderLine) -> DomainRegistration:
    config = current_app.config
    return DomainRegistration(
        reseller_id=customer.reseller_id,
        order_line_id=line.id,
        customer_id=customer.id,
        domain=line.domain,
        registrant={"name": customer.name, "email": customer.email},
        admin_contact={"organisation": "the shop"},
        tech_contact={"organisation": "the shop"},
        billing_contact={"organisation": "the shop"},
        zone_contact={"organisation": config["PLATFORM_NAME"], "email": config["PLATFORM_SUPPORT_EMAIL"]},
        nameservers=["ns1.example.test"],
    )


def add_tickets(app, customer_id: int, count: int, subject: str = "Site down") -> list[int]:
    """Open tickets for the customer: each has a team reply, an internal note and an attachment."""
    ids = []
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        reseller = db.session.get(Reseller, customer.reseller_id)
        member = db.session.scalar(select(TeamMember).where(TeamMember.reseller_id == reseller.id).limit(1))
        for index in range(count):
            ticket = open_ticket(
                reseller, f"{subject} {index}", f"{subject}: it broke ({index}).", customer=customer
            )
            add_team_reply(reseller, ticket, member, f"Team answer {index}")
            note = add_note(ticket, f"Internal note {index}: do not show", team_member_id=member.id)
            db.session.flush()
            db.session.add(
                Attachment(
                    reseller_id=reseller.id,
                    message_id=ticket.messages[0].id,
                    stored_name=secrets.token_hex(16),
                    filename=f"screenshot-{index}.png",
                    content_type="image/png",
                    size_bytes=2048,
                    data=b"\x89PNG",
                )
            )
            assert note.internal
            ids.append(ticket.id)
        db.session.commit()
    return ids


def staff_answers(app, ticket_id: int, staff_id: int, body: str = "Escalations answer") -> None:
    """Escalate the ticket and have platform staff answer it."""
    from storefront.models import Ticket

    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        reseller = db.session.get(Reseller, ticket.reseller_id)
        escalate(reseller, ticket, f"customer:{ticket.customer_id}", "asked", "Please help")
        add_staff_reply(reseller, ticket, db.session.get(StaffUser, staff_id), body)
        db.session.commit()
