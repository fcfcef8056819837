"""The billing run at scale: 100,000 active services over 50 shops, 10,000 of them due for renewal.

Builds a SQLite database (or empties and uses ``--database-url``, a PostgreSQL database) through the
migrations, with 50 shops, 100 customers each, and 100,000 active monthly services (one order of 20
lines per customer) whose due dates are spread so that ``--due`` fall within the renewal notice; then,
in a fresh process each (so the build does not count), runs the billing run twice for the same date,
printing the time, the peak memory (the process's maximum resident set) and what each run did. The
targets: the first run issues the invoices in under 60 s with a peak under 300 MB; the second issues
nothing in under 10 s.

    .venv/bin/python bench/billing_run.py [--services 100000] [--due 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHOPS = 50
CUSTOMERS_PER_SHOP = 100
AS_OF = date(2026, 3, 1)
RUN_TARGET_S, RUN_TARGET_MB, RERUN_TARGET_S = 60.0, 300.0, 10.0


def _app(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    from storefront import create_app

    return create_app(
        {
            "MODE": "production",
            "SINGLE_PROCESS": True,
            "SECRET_KEY": "bench-secret-bench-secret-bench-secret",
            "MAIL_SMTP_HELO_NAME": "mail.bench.test",
            "INBOUND_SMTP_HOSTNAME": "mx.bench.test",
            "EMAIL_ALLOW_TEST_DOMAINS": True,
            "JOBS_URL": "memory://",
        }
    )


def build(database_url: str, services: int, due: int) -> None:
    """Migrate an empty database and fill it with the shops, customers, orders and services."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, text

    from storefront.extensions import db
    from storefront.models import (
        BillingCycle,
        Customer,
        LineKind,
        Order,
        OrderLine,
        Plan,
        PlanPrice,
        Reseller,
        Service,
        ServiceStatus,
    )

    app = _app(database_url)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        plan = Plan(code="bench", name="Bench", features=["1 website"])
        plan.prices = [PlanPrice(cycle=BillingCycle.MONTHLY, amount_minor=500)]
        db.session.add(plan)
        db.session.flush()
        shops = db.session.scalars(
            insert(Reseller).returning(Reseller.id, sort_by_parameter_order=True),
            [
                {
                    "slug": f"shop{n:02d}",
                    "brand_name": f"Shop {n:02d} Hosting",
                    "legal_name": f"Shop {n:02d} Sdn. Bhd.",
                    "support_email": f"help@shop{n:02d}.test",
                }
                for n in range(SHOPS)
            ],
        ).all()
        now = datetime.now(UTC)
        per_shop = services // SHOPS
        lines_per_customer = per_shop // CUSTOMERS_PER_SHOP
        index = 0
        for shop in shops:
            customers = db.session.scalars(
                insert(Customer).returning(Customer.id, sort_by_parameter_order=True),
                [
                    {
                        "reseller_id": shop,
                        "email": f"c{n:03d}@shop{shop}.test",
                        "name": f"Customer {n:03d}",
                        "password_hash": "!",
                        "email_verified_at": now,
                    }
                    for n in range(CUSTOMERS_PER_SHOP)
                ],
            ).all()
            orders = db.session.scalars(
                insert(Order).returning(Order.id, sort_by_parameter_order=True),
                [
                    {
                        "reseller_id": shop,
                        "customer_id": customer,
                        "status": "paid",
                        "currency": "MYR",
                        "total_minor": 1290 * lines_per_customer,
                        "idempotency_key": f"bench-{shop}-{customer}-padding",
                        "paid_at": now,
                    }
                    for customer in customers
                ],
            ).all()
            rows = [
                (order, customer, n)
                for order, customer in zip(orders, customers, strict=True)
                for n in range(lines_per_customer)
            ]
            lines = db.session.scalars(
                insert(OrderLine).returning(OrderLine.id, sort_by_parameter_order=True),
                [
                    {
                        "reseller_id": shop,
                        "order_id": order,
                        "kind": LineKind.HOSTING,
                        "plan_id": plan.id,
                        "cycle": BillingCycle.MONTHLY,
                        "domain": f"site{n}-{customer}.com",
                        "description": f"Bench hosting for site{n}-{customer}.com, billed monthly",
                        "amount_minor": 1290,
                        "wholesale_minor": 500,
                    }
                    for order, customer, n in rows
                ],
            ).all()
            service_rows = []
            for line, (_, customer, n) in zip(lines, rows, strict=True):
                # One service in ten (``due`` of them overall) falls due within the 14 days' notice.
                is_due = index % (services // due) == 0
                due_on = AS_OF + timedelta(days=index % 14 if is_due else 20 + index % 15)
                index += 1
                service_rows.append(
                    {
                        "reseller_id": shop,
                        "order_line_id": line,
                        "customer_id": customer,
                        "plan_id": plan.id,
                        "cycle": BillingCycle.MONTHLY,
                        "domain": f"site{n}-{customer}.com",
                        "status": ServiceStatus.ACTIVE,
                        "next_due_on": due_on,
                        "anchor_day": due_on.day,
                        "recurring_minor": 1290,
                        "currency": "MYR",
                    }
                )
            db.session.execute(insert(Service), service_rows)
            db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def run_once(database_url: str) -> dict:
    """One billing run for ``AS_OF`` in this process: its time, peak memory and totals."""
    from storefront.billing.run import STEPS, run_billing

    app = _app(database_url)
    with app.app_context():
        began = time.perf_counter()
        reports = run_billing(AS_OF)
        seconds = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    totals = {step.name: sum(report.counts[step.name] for report in reports) for step in STEPS}
    return {"seconds": seconds, "peak_mb": peak_mb, "totals": totals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument(
        "--database-url", help="a PostgreSQL database to empty and use (default: a SQLite file)"
    )
    parser.add_argument("--run-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_only:
        print(json.dumps(run_once(args.run_only)))
        return
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite:///{Path(directory) / 'bench.db'}"
        began = time.perf_counter()
        build(url, args.services, args.due)
        built = time.perf_counter() - began
        print(f"{args.services:,} active services, {SHOPS} shops, {args.due:,} due; built in {built:.1f} s")
        for label, seconds_target, memory_target in (
            ("first run", RUN_TARGET_S, RUN_TARGET_MB),
            ("second run", RERUN_TARGET_S, None),
        ):
            child = subprocess.run(
                [sys.executable, __file__, "--run-only", url], capture_output=True, text=True, check=True
            )
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            issued = figures["totals"]["invoiced"]
            verdict = figures["seconds"] < seconds_target and (
                memory_target is None or figures["peak_mb"] < memory_target
            )
            print(
                f"{label}: {issued:,} renewal invoices issued in {figures['seconds']:.1f} s, "
                f"peak memory {figures['peak_mb']:.0f} MB; {'meets' if verdict else 'misses'} the target "
                f"(under {seconds_target:.0f} s" + (f", {memory_target:.0f} MB)" if memory_target else ")")
            )


if __name__ == "__main__":
    main()
