"""Shared test steps: shops, tickets made through the services, team sign-in, buying, console URLs."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import (
    CorrectionRequest,
    CreditNote,
    Customer,
    Domain,
    Invoice,
    Order,
    Reseller,
    Service,
    TeamInvitation,
    TeamMember,
    Ticket,
)
from storefront.support.tickets import open_ticket
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


SHOP_OWNERS = {
    "acme.localhost": "owner@acme-hosting.test",
    "bluewave.localhost": "owner@bluewave-web.test",
    "kedai.localhost": "owner@kedaihosting.test",
}


def shop_id(app, slug: str = "acme") -> int:
    """Return the id of the demo shop with ``slug``."""
    with app.app_context():
        return db.session.scalar(select(Reseller.id).where(Reseller.slug == slug))


def customer_id(app, email: str = "aisyah@example.com", slug: str = "acme") -> int:
    """Return the id of the customer with ``email`` at the demo shop ``slug``."""
    with app.app_context():
        return db.session.scalar(
            select(Customer.id).join(Reseller).where(Reseller.slug == slug, Customer.email == email)
        )


def number_of(app, model, row_id: int) -> int:
    """Return the shop's number of a row (what its URLs, pages and emails show) from its id."""
    with app.app_context():
        return db.session.scalar(select(model.number).where(model.id == row_id))


def customer_number(app, email: str = "aisyah@example.com", slug: str = "acme") -> int:
    """Return the shop's number of the customer with ``email`` at the demo shop ``slug``."""
    return number_of(app, Customer, customer_id(app, email, slug))


def owner_client(client_for, host: str = "acme.localhost", email: str | None = None):
    """Return a client signed in to the console of ``host`` as its owner (or as ``email``)."""
    client = client_for(host)
    assert team_sign_in(client, email or SHOP_OWNERS[host]).status_code == 302
    return client


def team_sign_in(client, email: str = "owner@acme-hosting.test", password: str = "storefront-demo"):
    """Sign a team member in to the console."""
    token = csrf_from(client.get("/console/login").text)
    return client.post("/console/login", data={"email": email, "password": password, "csrf_token": token})


def place_order(client, plan: str, domain: str, choice: str = "register"):
    """As the signed-in customer: put a plan in the cart monthly and check out with a domain (a new one
    to register, or an ``existing`` one); return the checkout's answer."""
    token = csrf_from(client.get(f"/plans/{plan}").text)
    client.post("/cart/add", data={"plan": plan, "cycle": "monthly", "csrf_token": token})
    page = client.get("/checkout").text
    item = re.search(r'name="domain-([0-9a-f]{8})"', page).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_from(page), "idempotency_key": key}
    return client.post("/checkout", data={**data, f"choice-{item}": choice, f"domain-{item}": domain})


def buy_and_pay(client, plan: str, domain: str) -> None:
    """As the signed-in customer: buy a plan monthly with a new domain and pay by test card."""
    placed = place_order(client, plan, domain)
    token = csrf_from(client.get("/account").text)
    invoice = urlsplit(placed.headers["Location"]).path
    pay = client.post(f"{invoice}/pay/card", data={"csrf_token": token})
    path = urlsplit(pay.headers["Location"]).path
    client.post(path, data={"csrf_token": token, "card_number": "4242424242424242"})


def invite_to_team(client, owner: str, email: str, role: str = "agent") -> None:
    """Have a shop's owner invite someone to its team through the console."""
    team_sign_in(client, owner)
    token = csrf_from(client.get("/console/team").text)
    data = {"name": "Newcomer", "email": email, "role": role, "csrf_token": token}
    assert client.post("/console/team/invite", data=data).status_code in (302, 303)


# Each shop number a console URL takes, and the model whose rows it numbers.
CONSOLE_ID_MODELS = {
    "ticket_number": Ticket,
    "customer_number": Customer,
    "order_number": Order,
    "domain_number": Domain,
    "member_number": TeamMember,
    "invitation_number": TeamInvitation,
    "correction_number": CorrectionRequest,
    "credit_note_number": CreditNote,
    "service_number": Service,
    "invoice_number": Invoice,
}


# Route arguments that are not shop numbers: a value no shop has. A notice version counts per shop
# (every shop has a version 1), so its cross-shop test is written out by hand, as are plan codes
# and ticket files (the same in every shop, or random).
NOT_IDS = {
    "token": "not-a-real-token",
    "version": "999999",
    "plan_code": "no-such-plan",
    "stored_name": "0" * 32,
}


def console_rules(app) -> list:
    """Every route of the console."""
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("console.")]


def ids_of_shop(app, slug: str) -> dict[str, int | None]:
    """One number of each kind the console takes that belongs to the shop ``slug``."""
    with app.app_context():
        reseller_id = db.session.scalar(select(Reseller.id).where(Reseller.slug == slug))
        return {
            argument: db.session.scalar(
                select(model.number).where(model.reseller_id == reseller_id).order_by(model.number).limit(1)
            )
            for argument, model in CONSOLE_ID_MODELS.items()
        }


def console_url(rule, ids: dict[str, int | None]) -> str:
    """The rule's path with each shop number taken from ``ids`` (1 where the shop has none)."""
    unknown = set(rule.arguments) - set(CONSOLE_ID_MODELS) - set(NOT_IDS)
    assert not unknown, f"{rule.rule}: teach tests/steps.py which model {unknown} names"
    values = {**{name: ids.get(name) or 1 for name in CONSOLE_ID_MODELS}, **NOT_IDS}
    return re.sub(r"<(?:[^<>]*:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def upgraded_demo_app(path):
    """An app on a SQLite file at ``path`` brought up by the migrations, with the demo loaded."""
    from flask_migrate import upgrade

    from storefront import create_app
    from storefront.demo import seed_demo

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "EMAIL_ALLOW_TEST_DOMAINS": True,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        upgrade()  # what the newest migration does for rows it finds is done as each row is written
        seed_demo(privacy_history=False)
    return app
