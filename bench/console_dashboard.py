"""Server time and query count of the owner's console home with 100,000 orders in one shop.

Builds a SQLite database (the demo plus, in Acme, 20,000 customers and 100,000 orders with
their invoices spread over the last two years, one in twenty still unpaid, and the paid ones
counted into the sales by month as payments are) with bulk inserts,
signs Acme's owner in, and requests /console/ many times in-process, printing the median and
95th-percentile time and the number of SQL statements a request runs. The target is a median
under 20 ms.

    .venv/bin/python bench/console_dashboard.py [--orders 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.in_process import make_app, measure, signed_in  # noqa: E402

BASE = "http://acme.localhost"
CUSTOMERS = 20_000
DAYS = 730
TARGET_MS = 20.0


def _build(app, orders: int) -> None:
    from flask_migrate import upgrade

    from storefront.demo import seed_demo

    with app.app_context():
        upgrade()
        seed_demo()
        _bulk_rows(orders)


def _bulk_rows(count: int) -> None:
    from sqlalchemy import insert, select

    from storefront.extensions import db
    from storefront.models import Customer, Invoice, Order, Reseller, utcnow
    from storefront.models.sales import record_sales

    acme = db.session.scalar(select(Reseller.id).where(Reseller.slug == "acme"))
    now = utcnow()
    customers = db.session.scalars(
        insert(Customer).returning(Customer.id, sort_by_parameter_order=True),
        [
            {
                "reseller_id": acme,
                "email": f"bulk{i:05d}@example.com",
                "name": f"Bulk Customer {i:05d}",
                "password_hash": "!",
                "created_at": now - timedelta(minutes=i * DAYS * 1440 // CUSTOMERS),
            }
            for i in range(CUSTOMERS)
        ],
    ).all()
    step = timedelta(minutes=DAYS * 1440 / count)
    for start in range(0, count, 20_000):  # in blocks: each block's rows and ids fit in memory easily
        block = range(start, min(start + 20_000, count))
        moments = {i: now - step * i for i in block}
        paid = {i: i % 20 != 0 for i in block}
        orders = db.session.scalars(
            insert(Order).returning(Order.id, sort_by_parameter_order=True),
            [
                {
                    "reseller_id": acme,
                    "customer_id": customers[i % CUSTOMERS],
                    "status": "paid" if paid[i] else "pending_payment",
                    "currency": "MYR",
                    "total_minor": 1290 + (i % 7) * 1000,
                    "idempotency_key": f"bench-{i:07d}-padding-key",
                    "created_at": moments[i],
                    "paid_at": moments[i] if paid[i] else None,
                }
                for i in block
            ],
        ).all()
        db.session.execute(
            insert(Invoice),
            [
                {
                    "reseller_id": acme,
                    "order_id": order,
                    "customer_id": customers[i % CUSTOMERS],
                    "status": "paid" if paid[i] else "issued",
                    "currency": "MYR",
                    "total_minor": 1290 + (i % 7) * 1000,
                    "seller_name": "Acme Hosting",
                    "seller_address": "Kuala Lumpur",
                    "buyer_name": f"Bulk Customer {i % CUSTOMERS:05d}",
                    "buyer_email": f"bulk{i % CUSTOMERS:05d}@example.com",
                    "issued_at": moments[i],
                    "paid_at": moments[i] if paid[i] else None,
                }
                for order, i in zip(orders, block, strict=True)
            ],
        )
        # Inserted in bulk, past the unit of work: counted into the months as each payment would be.
        paid_rows = [(acme, moments[i], "MYR", 1290 + (i % 7) * 1000) for i in block if paid[i]]
        record_sales(db.session.connection(), paid_rows)
    db.session.commit()
    db.session.execute(db.text("ANALYZE"))
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        app = make_app(Path(directory))
        began = time.perf_counter()
        _build(app, args.orders)
        built = time.perf_counter() - began
        client = signed_in(app, BASE, "/console/login", "owner@acme-hosting.test")
        print(f"{args.orders:,} orders, {CUSTOMERS:,} customers in one shop; built in {built:.1f} s")
        print(f"{'page':<12} {'median ms':>9} {'p95 ms':>7} {'queries':>7} {'status':>6}")
        median, p95, queries, status = measure(app, client, BASE, "/console/", args.requests)
        print(f"{'/console/':<12} {median:>9.2f} {p95:>7.2f} {queries:>7} {status:>6}")
        verdict = "meets" if median < TARGET_MS else "misses"
        print(f"target: median under {TARGET_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
