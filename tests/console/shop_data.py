"""Shared steps for the console's customer and order tests: team clients, bulk rows, checkouts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select

from storefront.extensions import db
from storefront.models import Customer, Invoice, Order, OrderLine, Plan, Reseller, Service, utcnow
from tests.shop.test_checkout import signed_in_with_cart
from tests.steps import shop_id, team_sign_in

ACME = "acme.localhost"
AGENT_EMAIL = "agent@acme-hosting.test"


def agent(app, client_for):
    """Return a client signed in to Acme's console as the demo's agent."""
    client = client_for(ACME)
    assert team_sign_in(client, AGENT_EMAIL).status_code == 302
    return client


def add_customers(app, count: int, slug: str = "acme", prefix: str = "bulk") -> None:
    """Insert ``count`` customers into a shop, one minute apart, the last one newest."""
    reseller_id = shop_id(app, slug)
    start = utcnow() - timedelta(days=30)
    rows = [
        {
            "reseller_id": reseller_id,
            "email": f"{prefix}{i:03d}@example.com",
            "name": f"{prefix.title()} Customer {i:03d}",
            "password_hash": "!",
            "auth_epoch": 0,
            "created_at": start + timedelta(minutes=i),
            "email_verified_at": start if i % 2 else None,
        }
        for i in range(count)
    ]
    with app.app_context():
        db.session.execute(insert(Customer), rows)
        db.session.commit()


def add_orders(app, count: int, slug: str = "acme") -> None:
    """Insert ``count`` unpaid orders with their invoices, each for a new customer of the shop."""
    add_customers(app, count, slug, prefix=f"buyer{slug}")
    reseller_id = shop_id(app, slug)
    with app.app_context():
        buyers = db.session.execute(
            select(Customer.id, Customer.name, Customer.email)
            .where(Customer.reseller_id == reseller_id, Customer.email.like(f"buyer{slug}%"))
            .order_by(Customer.id)
        ).all()
        now = utcnow()
        orders = [
            {
                "reseller_id": reseller_id,
                "customer_id": buyer.id,
                "status": "pending_payment",
                "currency": "MYR",
                "total_minor": 1000 + i,
                "idempotency_key": f"bulk-{slug}-{i:04d}-xxxxxxxx",
                "created_at": now - timedelta(days=10, minutes=i),
            }
            for i, buyer in enumerate(buyers)
        ]
        order_ids = db.session.scalars(
            insert(Order).returning(Order.id, sort_by_parameter_order=True), orders
        ).all()
        invoices = [
            {
                "reseller_id": reseller_id,
                "order_id": order_id,
                "customer_id": order["customer_id"],
                "number": 1000 + i,
                "status": "issued",
                "currency": "MYR",
                "total_minor": order["total_minor"],
                "seller_name": "Shop",
                "seller_address": "Somewhere",
                "buyer_name": buyer.name,
                "buyer_email": buyer.email,
                "issued_at": order["created_at"],
            }
            for i, (order_id, order, buyer) in enumerate(zip(order_ids, orders, buyers, strict=True))
        ]
        db.session.execute(insert(Invoice), invoices)
        db.session.commit()


def checkout(
    client_for, host: str = ACME, email: str = "aisyah@example.com", domain: str = "aisyah-bakery.com.my"
):
    """Order Business yearly with a new domain through the storefront; return the customer's client."""
    client, item, form = signed_in_with_cart(client_for, host, email)
    response = client.post("/checkout", data=form | {f"choice-{item}": "register", f"domain-{item}": domain})
    assert response.status_code == 303
    return client


def only_order_number(app, slug: str = "acme") -> int:
    """Return the shop's number of its newest order (what its console URLs carry)."""
    with app.app_context():
        return db.session.scalar(
            select(Order.number).join(Reseller).where(Reseller.slug == slug).order_by(Order.id.desc())
        )


def only_order_id(app, slug: str = "acme") -> int:
    """Return the id of the newest order of a shop."""
    with app.app_context():
        return db.session.scalar(
            select(Order.id).join(Reseller).where(Reseller.slug == slug).order_by(Order.id.desc())
        )


def add_services(
    app,
    count: int,
    slug: str = "acme",
    statuses: tuple[str, ...] = ("active",),
    first_due=None,
    batch: str = "",
) -> None:
    """Give ``count`` new customers of a shop a paid order each and a monthly hosting service: statuses
    taken in turn from ``statuses``, due one day after another from ``first_due`` (default: today in
    UTC); ``batch`` tells apart the customers of several calls."""
    prefix = f"svc{batch}{slug}"
    add_customers(app, count, slug, prefix=prefix)
    reseller_id = shop_id(app, slug)
    first_due = first_due or utcnow().date()
    with app.app_context():
        plan_id = db.session.scalar(select(Plan.id).where(Plan.code == "starter"))
        buyers = db.session.scalars(
            select(Customer.id)
            .where(Customer.reseller_id == reseller_id, Customer.email.like(f"{prefix}%"))
            .order_by(Customer.id)
        ).all()
        orders = db.session.scalars(
            insert(Order).returning(Order.id, sort_by_parameter_order=True),
            [
                {"reseller_id": reseller_id, "customer_id": buyer, "status": "paid", "currency": "MYR"}
                | {"total_minor": 1290, "idempotency_key": f"{prefix}-{i:04d}-xxxxxxxxxx"}
                for i, buyer in enumerate(buyers)
            ],
        ).all()
        domains = [f"{slug}{batch}{i:03d}.example.com" for i in range(count)]
        lines = db.session.scalars(
            insert(OrderLine).returning(OrderLine.id, sort_by_parameter_order=True),
            [
                {"reseller_id": reseller_id, "order_id": order_id, "kind": "hosting", "plan_id": plan_id}
                | {"cycle": "monthly", "domain": domain, "description": "Hosting"}
                | {"amount_minor": 1290, "wholesale_minor": 500}
                for order_id, domain in zip(orders, domains, strict=True)
            ],
        ).all()
        services = []
        for i, (line_id, buyer) in enumerate(zip(lines, buyers, strict=True)):
            status = statuses[i % len(statuses)]
            services.append(
                {
                    "reseller_id": reseller_id,
                    "order_line_id": line_id,
                    "customer_id": buyer,
                    "plan_id": plan_id,
                }
                | {"cycle": "monthly", "domain": domains[i], "status": status}
                | {"next_due_on": first_due + timedelta(days=i), "anchor_day": 1}
                | {"recurring_minor": 1290, "currency": "MYR"}
                | {"suspension_reason": "overdue" if status == "suspended" else None}
            )
        db.session.execute(insert(Service), services)
        db.session.commit()
