"""Server time of the pages no cache can serve: a signed-in customer's /account and the console ticket list.

Builds a SQLite database: the demo, then for Acme's demo customer 40 orders with invoices (a few
still to pay) and hosting services, and in Acme 300 more customers with 600 tickets between them
(most open, with answers due at different times). Signs the demo customer in on the shop and
Acme's owner in on the console with the app's test client, and requests each page many times
in-process, printing the median and 95th-percentile server time, the median CPU time (steadier on a
busy machine), and the SQL statements of one request. The one-query ceiling (bench/ceiling.py,
one query rendered in a comparable template) is measured the same way for comparison.

Each ticket list the team sees is audited, with an entry per customer on it: the bench checks that
every timed request wrote its entries.

    .venv/bin/python bench/signed_in_pages.py [--requests 500] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.in_process import make_app, signed_in  # noqa: E402

SHOP = "http://acme.localhost"
ORDERS, UNPAID, CUSTOMERS, TICKETS = 40, 3, 300, 600
WARM_UP = 20
PAGES = [
    ("customer", "/account"),
    ("owner", "/console/tickets"),
]


def _build(app) -> None:
    from flask_migrate import upgrade

    from storefront.demo import seed_demo

    with app.app_context():
        upgrade()
        seed_demo(privacy_history=False)
        _add_volume()


def _bulk(model, rows: list[dict], returning: bool = False) -> list[int]:
    """Insert the rows in one statement; return their ids, in order, when asked."""
    from sqlalchemy import insert

    from storefront.extensions import db

    if returning:
        return list(db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))
    db.session.execute(insert(model), rows)
    return []


def _add_volume() -> None:
    from sqlalchemy import select

    from storefront.demo import load_demo_data
    from storefront.extensions import db
    from storefront.models import (
        Customer,
        Invoice,
        InvoiceLine,
        Order,
        OrderLine,
        Plan,
        Reseller,
        Service,
        Ticket,
        TicketMessage,
        utcnow,
    )

    now = utcnow()
    shop = db.session.scalar(select(Reseller.id).where(Reseller.slug == "acme"))
    spec = next(s for s in load_demo_data()["resellers"] if s["slug"] == "acme")
    me = db.session.scalar(select(Customer.id).filter_by(reseller_id=shop, email=spec["customer"]["email"]))
    plan = db.session.scalar(select(Plan.id).order_by(Plan.id).limit(1))
    mine = {"reseller_id": shop, "customer_id": me}
    orders = _bulk(
        Order,
        [
            {**mine, "status": "paid" if i >= UNPAID else "unpaid", "currency": "MYR"}
            | {"total_minor": 1290, "idempotency_key": f"bench-signed-in-{i:04d}"}
            | {"created_at": now - timedelta(days=ORDERS - i)}
            for i in range(ORDERS)
        ],
        returning=True,
    )
    lines = _bulk(
        OrderLine,
        [
            {"reseller_id": shop, "order_id": order, "kind": "hosting", "plan_id": plan, "cycle": "monthly"}
            | {"domain": f"site{i}.example.com", "description": "Hosting"}
            | {"amount_minor": 1290, "wholesale_minor": 900}
            for i, order in enumerate(orders)
        ],
        returning=True,
    )
    _bulk(
        Service,
        [
            {**mine, "order_line_id": line, "plan_id": plan, "cycle": "monthly"}
            | {"domain": f"site{i}.example.com", "status": "active", "server": "web1"}
            | {"username": f"site{i}", "activated_at": now - timedelta(days=ORDERS - i)}
            for i, line in enumerate(lines[UNPAID:], start=UNPAID)
        ],
    )
    invoices = _bulk(
        Invoice,
        [
            {**mine, "order_id": order, "status": "issued" if i < UNPAID else "paid", "currency": "MYR"}
            | {"total_minor": 1290, "seller_name": "Acme Hosting", "seller_address": "Kuala Lumpur"}
            | {"buyer_name": "Nur Aisyah", "buyer_email": spec["customer"]["email"]}
            | {"issued_at": now - timedelta(days=ORDERS - i), "paid_at": None if i < UNPAID else now}
            for i, order in enumerate(orders)
        ],
        returning=True,
    )
    _bulk(
        InvoiceLine,
        [
            {"reseller_id": shop, "invoice_id": invoice, "position": 1, "description": "Hosting"}
            | {"amount_minor": 1290}
            for invoice in invoices
        ],
    )
    others = _bulk(
        Customer,
        [
            {"reseller_id": shop, "email": f"buyer{i:04d}@example.com", "name": f"Buyer {i:04d}"}
            | {"password_hash": "!", "email_verified_at": now, "created_at": now - timedelta(days=i)}
            for i in range(CUSTOMERS)
        ],
        returning=True,
    )
    statuses = ["open"] * 6 + ["waiting_on_customer", "escalated", "resolved", "closed"]
    tickets = _bulk(
        Ticket,
        [
            {"reseller_id": shop, "customer_id": others[i % CUSTOMERS], "subject": f"Question {i}"}
            | {"status": statuses[i % len(statuses)], "reply_token": secrets.token_urlsafe(18)}
            | {"priority": i % 3, "created_at": now - timedelta(hours=i)}
            | {"reply_due_at": now + timedelta(hours=(i % 48) - 12) if i % 10 < 6 else None}
            for i in range(TICKETS)
        ],
        returning=True,
    )
    _bulk(
        TicketMessage,
        [
            {"reseller_id": shop, "ticket_id": ticket, "author": "customer"}
            | {"body": "The site shows an error after the update. " * 3, "internal": False}
            for ticket in tickets
        ],
    )
    db.session.commit()


def _audit_entries(app) -> tuple[int, int]:
    """Return the audit log's entries, and those that are a ticket list page (not its customers)."""
    from sqlalchemy import func, select

    from storefront.extensions import db
    from storefront.models import AuditEntry

    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(AuditEntry))
        lists = db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.record == "tickets", AuditEntry.customer_id.is_(None))
        )
    return total, lists


def _queries(app, client, path: str, base: str) -> tuple[int, int]:
    from sqlalchemy import event

    from storefront.extensions import db

    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    status = client.get(path, base_url=base).status_code
    event.remove(engine, "before_cursor_execute", listener)
    return len(statements), status


def _timed(client, path: str, base: str, requests: int) -> tuple[float, float, float]:
    """Median and 95th-percentile wall time, and median CPU time, in ms."""
    for _ in range(WARM_UP):
        client.get(path, base_url=base)
    walls, cpus = [], []
    for _ in range(requests):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, base_url=base)
        cpus.append((time.process_time() - began_cpu) * 1000)
        walls.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, f"{path}: {response.status_code}"
    walls.sort()
    return statistics.median(walls), walls[int(len(walls) * 0.95) - 1], statistics.median(cpus)


def _profile(client, path: str, base: str, requests: int, top: int = 25) -> str:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        client.get(path, base_url=base)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def _ceiling_client():
    """The one-query ceiling app on the same database (DATABASE_URL is set by make_app)."""
    from bench.ceiling import app

    return app.test_client()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="print each page's cProfile top entries")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        app = make_app(Path(directory))
        _build(app)
        from storefront.demo import load_demo_data

        acme = next(s for s in load_demo_data()["resellers"] if s["slug"] == "acme")
        email = {"customer": acme["customer"]["email"], "owner": acme["owner"]["email"]}
        clients = {
            "customer": signed_in(app, SHOP, "/login", email["customer"]),
            "owner": signed_in(app, SHOP, "/console/login", email["owner"]),
        }
        print(
            f"{ORDERS} orders ({UNPAID} unpaid) for the customer; {CUSTOMERS} customers, {TICKETS} tickets "
            f"in the shop; {args.requests} requests each, in-process, test client"
        )
        print(f"{'page':<22} {'median ms':>9} {'p95 ms':>7} {'cpu ms':>7} {'queries':>7} {'status':>6}")
        ceiling = _ceiling_client()
        median, p95, cpu = _timed(ceiling, "/one-query", "http://localhost", args.requests)
        print(f"{'ceiling one query':<22} {median:>9.2f} {p95:>7.2f} {cpu:>7.2f} {1:>7} {200:>6}")
        profiles = []
        for who, path in PAGES:
            client = clients[who]
            queries, status = _queries(app, client, path, SHOP)
            first = _audit_entries(app)
            client.get(path, base_url=SHOP)
            before = _audit_entries(app)
            median, p95, cpu = _timed(client, path, SHOP, args.requests)
            after = _audit_entries(app)
            print(f"{path:<22} {median:>9.2f} {p95:>7.2f} {cpu:>7.2f} {queries:>7} {status:>6}")
            _check_audit(path, before[0] - first[0], before, after, args.requests + WARM_UP)
            if args.profile:
                profiles.append(f"--- {path}\n{_profile(client, path, SHOP, args.requests)}")
        for text in profiles:
            print(text)
    return 0


def _check_audit(path: str, per_request: int, before: tuple[int, int], after: tuple[int, int], requests: int):
    """Every timed request wrote what one request writes: the list's entry and one per customer shown."""
    written, lists = after[0] - before[0], after[1] - before[1]
    assert written == per_request * requests, f"{path}: {written} audit entries, {per_request * requests} due"
    if path.startswith("/console/tickets"):
        assert per_request > 1, "the ticket list wrote no entries for its customers"
        assert lists == requests, f"{lists} list entries for {requests} requests"
        print(f"{'':<22} audit: {per_request} entries a request, all {written} written")
    else:
        assert per_request == 0, f"{path} wrote {per_request} audit entries"


if __name__ == "__main__":
    os.environ.setdefault("STOREFRONT_HTMX_USE_LOCAL", "true")
    sys.exit(main())
