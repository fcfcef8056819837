"""Server time and query count of every console page, with a large shop.

Builds a SQLite database (the demo plus 5,000 customers and 2,000 orders with invoices
and wholesale charges in Acme), signs Acme's owner in with the app's test client, and
requests each page many times in-process, printing the median and 95th-percentile time
and the number of SQL statements each request ran.

    .venv/bin/python bench/console_pages.py [--requests 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.in_process import make_app, measure, signed_in  # noqa: E402

CUSTOMERS, ORDERS = 5000, 2000
BASE = "http://acme.localhost"
PAGES = [
    "/console/tickets",
    "/console/customers",
    "/console/customers?q=customer+04",
    "/console/customers?page=150",
    "/console/customers/{customer_id}",
    "/console/orders",
    "/console/orders?status=unpaid&q=buyer",
    "/console/orders/{order_id}",
    "/console/pricing",
    "/console/statement",
    "/console/statement.csv",
    "/console/brand",
    "/console/domains",
    "/console/team",
]


def _build(app) -> dict[str, int]:
    from flask_migrate import upgrade

    from storefront.demo import seed_demo

    with app.app_context():
        upgrade()
        seed_demo()
        return _bulk_rows()


def _bulk_rows() -> dict[str, int]:
    from sqlalchemy import insert, select

    from storefront.extensions import db
    from storefront.models import Customer, Invoice, LedgerEntry, Order, OrderLine, Plan, Reseller, utcnow

    acme = db.session.scalar(select(Reseller.id).where(Reseller.slug == "acme"))
    plan = db.session.scalar(select(Plan).limit(1))
    start = utcnow() - timedelta(days=20)
    customers = db.session.scalars(
        insert(Customer).returning(Customer.id, sort_by_parameter_order=True),
        [
            {
                "reseller_id": acme,
                "email": f"bulk{i:05d}@example.com",
                "name": f"Bulk Customer {i:05d}",
                "password_hash": "!",
                "created_at": start + timedelta(minutes=i),
            }
            for i in range(CUSTOMERS)
        ],
    ).all()
    orders = db.session.scalars(
        insert(Order).returning(Order.id, sort_by_parameter_order=True),
        [
            {
                "reseller_id": acme,
                "customer_id": customers[i],
                "status": "paid",
                "currency": "MYR",
                "total_minor": 1290,
                "idempotency_key": f"bench-{i:06d}-padding-key",
                "created_at": start + timedelta(minutes=i),
            }
            for i in range(ORDERS)
        ],
    ).all()
    lines = db.session.scalars(
        insert(OrderLine).returning(OrderLine.id, sort_by_parameter_order=True),
        [_line(acme, order, plan) for order in orders],
    ).all()
    db.session.execute(
        insert(Invoice), [_invoice(acme, order, customers[i], i) for i, order in enumerate(orders)]
    )
    db.session.execute(
        insert(LedgerEntry),
        [
            {
                "reseller_id": acme,
                "order_id": order,
                "order_line_id": line,
                "plan_id": plan.id,
                "description": plan.name,
                "amount_minor": 900,
                "currency": "MYR",
                "created_at": utcnow() - timedelta(minutes=i),
            }
            for i, (order, line) in enumerate(zip(orders, lines, strict=True))
        ],
    )
    db.session.commit()
    return {"customer_id": customers[-1], "order_id": orders[-1]}


def _line(reseller_id: int, order_id: int, plan) -> dict:
    return {
        "reseller_id": reseller_id,
        "order_id": order_id,
        "kind": "hosting",
        "plan_id": plan.id,
        "cycle": "monthly",
        "domain": f"bench-{order_id}.com",
        "description": plan.name,
        "amount_minor": 1290,
        "wholesale_minor": 900,
    }


def _invoice(reseller_id: int, order_id: int, customer_id: int, index: int) -> dict:
    from storefront.models import utcnow

    return {
        "reseller_id": reseller_id,
        "order_id": order_id,
        "customer_id": customer_id,
        "number": 10_000 + index,
        "status": "paid",
        "currency": "MYR",
        "total_minor": 1290,
        "seller_name": "Acme Hosting",
        "seller_address": "Kuala Lumpur",
        "buyer_name": f"Bulk Customer {index:05d}",
        "buyer_email": f"bulk{index:05d}@example.com",
        "issued_at": utcnow(),
        "paid_at": utcnow(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        app = make_app(Path(directory))
        ids = _build(app)
        client = signed_in(app, BASE, "/console/login", "owner@acme-hosting.test")
        print(f"{CUSTOMERS:,} customers, {ORDERS:,} orders and charges in one shop; {args.requests} each")
        print(f"{'page':<44} {'median ms':>9} {'p95 ms':>7} {'queries':>7} {'status':>6}")
        for template in PAGES:
            path = template.format(**ids)
            median, p95, queries, status = measure(app, client, BASE, path, args.requests)
            print(f"{path:<44} {median:>9.2f} {p95:>7.2f} {queries:>7} {status:>6}")


if __name__ == "__main__":
    main()
