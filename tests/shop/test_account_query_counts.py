"""A customer's account overview costs the same few queries however many orders and services they have."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select

from storefront.extensions import db
from storefront.models import Customer, Invoice, Order, OrderLine, Plan, Reseller, Service, utcnow
from tests.shop.helpers import sign_in

ACME = "acme.localhost"
CUSTOMER = "aisyah@example.com"


def _add_history(app, start: int, count: int, unpaid: int) -> None:
    """Give the demo customer ``count`` more orders with a hosting service and an invoice each;
    the first ``unpaid`` of them are still to pay."""
    with app.app_context():
        shop = db.session.scalar(select(Reseller.id).where(Reseller.slug == "acme"))
        customer = db.session.scalar(select(Customer.id).filter_by(reseller_id=shop, email=CUSTOMER))
        plan = db.session.scalar(select(Plan.id).order_by(Plan.id).limit(1))
        mine = {"reseller_id": shop, "customer_id": customer}
        numbers = range(start, start + count)
        orders = db.session.scalars(
            insert(Order).returning(Order.id, sort_by_parameter_order=True),
            [
                {**mine, "status": "paid", "currency": "MYR", "total_minor": 1290}
                | {"idempotency_key": f"history-{i:04d}-key", "created_at": utcnow() - timedelta(days=i)}
                for i in numbers
            ],
        ).all()
        lines = db.session.scalars(
            insert(OrderLine).returning(OrderLine.id, sort_by_parameter_order=True),
            [
                {"reseller_id": shop, "order_id": order, "kind": "hosting", "plan_id": plan}
                | {"cycle": "monthly", "domain": f"site{i}.example.com", "description": "Hosting"}
                | {"amount_minor": 1290, "wholesale_minor": 900}
                for i, order in zip(numbers, orders, strict=True)
            ],
        ).all()
        db.session.execute(
            insert(Service),
            [
                {**mine, "order_line_id": line, "plan_id": plan, "cycle": "monthly"}
                | {"domain": f"site{i}.example.com", "status": "active"}
                for i, line in zip(numbers, lines, strict=True)
            ],
        )
        db.session.execute(
            insert(Invoice),
            [
                {**mine, "order_id": order, "status": "issued" if n < unpaid else "paid"}
                | {"currency": "MYR", "total_minor": 1290, "seller_name": "Acme Hosting"}
                | {"seller_address": "Kuala Lumpur", "buyer_name": "Nur Aisyah", "buyer_email": CUSTOMER}
                | {"issued_at": utcnow()}
                for n, order in enumerate(orders)
            ],
        )
        db.session.commit()


def _overview(client, count_queries) -> tuple[str, int]:
    with count_queries() as statements:
        response = client.get("/account")
    assert response.status_code == 200
    return response.text, len(statements)


def test_account_overview_query_count_does_not_grow(app, demo, client_for, count_queries) -> None:
    client = client_for(ACME)
    sign_in(client, CUSTOMER)
    _add_history(app, 0, 2, unpaid=1)
    small, with_two = _overview(client, count_queries)
    _add_history(app, 2, 40, unpaid=5)
    large, with_forty_two = _overview(client, count_queries)
    assert small.count(".example.com —") == 2 and large.count(".example.com —") == 42  # every service
    assert large.count("/account/invoices/") == 6  # every unpaid invoice: 1 + 5
    # The shop, the signed-in customer, recent orders, unpaid invoices, services with their plans,
    # account credit.
    assert with_two == with_forty_two == 6
