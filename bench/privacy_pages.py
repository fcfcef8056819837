"""Server time and query count of the privacy pages, with a customer who has a long history.

Builds a SQLite database: the demo, then for Acme's demo customer 200 orders with invoices and
hosting services, 100 tickets of 10 messages, 2,000 audit entries about them by the shop's team
and the platform's staff, 50 disclosures, 100 consent events and 30 correction requests; and
5,000 more Acme customers (every tenth closed long ago) with two audit entries each, 2,000
correction requests from them, and 40 breaches, one of which reached all of them.

The volume goes in two steps. After the first quarter each page's queries are counted once;
after the rest they are counted again and every page is requested many times in-process with
the app's test client (as the customer, Acme's owner, and the staff admin), printing the median
and 95th-percentile server time, the median CPU time (steady on a busy machine), the queries of
one request at a quarter and at full volume (a page whose count grows with its rows shows two
different numbers), and the answer's size.

    .venv/bin/python bench/privacy_pages.py [--requests 200]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.in_process import make_app, signed_in  # noqa: E402

SHOP = "http://acme.localhost"
STAFF = "http://staff.localhost"
# The demo customer's history, and the rest of the shop.
VOLUME = {
    "orders": 200,
    "tickets": 100,
    "audit": 2000,
    "disclosures": 50,
    "consents": 100,
    "corrections": 30,
    "customers": 5000,
    "shop_corrections": 2000,
    "breaches": 40,
}
MESSAGES_PER_TICKET = 10
PAGES = [
    ("customer", "/account/privacy"),
    ("customer", "/account/privacy?page=10"),
    ("customer", "/account/privacy/export"),
    ("owner", "/console/corrections"),
    ("owner", "/console/corrections?status=all&page=20"),
    ("owner", "/console/corrections/{correction_id}"),
    ("owner", "/console/audit"),
    ("owner", "/console/audit?page=20"),
    ("owner", "/console/retention"),
    ("owner", "/console/privacy/notice"),
    ("staff", "/staff/audit"),
    ("staff", "/staff/audit?page=20"),
    # A filter no page measured here adds entries to, so every request exports the same ~2,000 rows.
    ("staff", "/staff/audit.csv?shop={shop_id}&action=escalate"),
    ("staff", "/staff/disclosures"),
    ("staff", "/staff/breaches"),
    ("staff", "/staff/breaches/{breach_id}"),
]
BASES = {"customer": SHOP, "owner": SHOP, "staff": STAFF}


@dataclass
class Cast:
    """Who is who in the database: the shop, its people, and the rows the pages open."""

    shop: int
    customer: int
    owner: int
    agent: int
    staff: list[int]
    plan: int
    breach: int = 0
    correction: int = 0
    orders: tuple[int, ...] = ()
    invoices: tuple[int, ...] = ()
    tickets: tuple[int, ...] = ()

    def ids(self) -> dict[str, int]:
        return {"shop_id": self.shop, "correction_id": self.correction, "breach_id": self.breach}


def _cast() -> Cast:
    from sqlalchemy import select

    from storefront.demo import load_demo_data
    from storefront.extensions import db
    from storefront.models import Customer, Plan, Reseller, StaffRole, StaffUser, TeamMember, TeamRole

    acme = db.session.scalar(select(Reseller.id).where(Reseller.slug == "acme"))
    spec = next(shop for shop in load_demo_data()["resellers"] if shop["slug"] == "acme")
    team = dict(db.session.execute(select(TeamMember.role, TeamMember.id).filter_by(reseller_id=acme)).all())
    return Cast(
        shop=acme,
        customer=db.session.scalar(
            select(Customer.id).filter_by(reseller_id=acme, email=spec["customer"]["email"])
        ),
        owner=team[TeamRole.OWNER],
        agent=team[TeamRole.AGENT],
        staff=list(db.session.scalars(select(StaffUser.id).where(StaffUser.role == StaffRole.ADMIN))),
        plan=db.session.scalar(select(Plan.id).order_by(Plan.id).limit(1)),
    )


def _span(kind: str, share: tuple[float, float]) -> range:
    return range(int(VOLUME[kind] * share[0]), int(VOLUME[kind] * share[1]))


def _ago(minutes: float):
    from storefront.models import utcnow

    return utcnow() - timedelta(minutes=minutes)


def _bulk(model, rows: list[dict], returning: bool = False) -> list[int]:
    """Insert the rows in one statement; return their ids, in order, when asked."""
    from sqlalchemy import insert

    from storefront.extensions import db

    if not rows:
        return []
    if returning:
        statement = insert(model).returning(model.id, sort_by_parameter_order=True)
        return list(db.session.scalars(statement, rows))
    db.session.execute(insert(model), rows)
    return []


def _add_volume(cast: Cast, share: tuple[float, float]) -> None:
    """Add the part ``share`` (from, to as fractions) of every volume; ids the pages need are kept."""
    from storefront.extensions import db

    _add_orders(cast, _span("orders", share))
    _add_tickets(cast, _span("tickets", share))
    _add_customer_audit(cast, _span("audit", share))
    _add_disclosures(cast, _span("disclosures", share))
    _add_consents(cast, _span("consents", share))
    _add_corrections(cast, _span("corrections", share))
    others = _add_other_customers(cast, _span("customers", share))
    _add_shop_corrections(cast, _span("shop_corrections", share), others)
    _add_breaches(cast, _span("breaches", share), others)
    db.session.commit()


def _add_orders(cast: Cast, span: range) -> None:
    from storefront.models import Invoice, InvoiceLine, Order, OrderLine, Service

    mine = {"reseller_id": cast.shop, "customer_id": cast.customer}
    orders = _bulk(
        Order,
        [
            {
                **mine,
                "status": "paid",
                "currency": "MYR",
                "total_minor": 1290,
                "idempotency_key": f"bench-privacy-{i:06d}",
                "created_at": _ago(60 * (VOLUME["orders"] - i)),
                "paid_at": _ago(60 * (VOLUME["orders"] - i)),
            }
            for i in span
        ],
        returning=True,
    )
    line = {"reseller_id": cast.shop, "kind": "hosting", "plan_id": cast.plan, "cycle": "monthly"}
    lines = _bulk(
        OrderLine,
        [
            {**line, "order_id": order, "domain": f"site{i}.example.com", "description": "Hosting"}
            | {"amount_minor": 1290, "wholesale_minor": 900}
            for i, order in zip(span, orders, strict=True)
        ],
        returning=True,
    )
    _bulk(
        Service,
        [
            {
                **mine,
                "order_line_id": ol,
                "plan_id": cast.plan,
                "cycle": "monthly",
                "domain": f"site{i}.example.com",
            }
            | {"status": "active", "server": "web1", "username": f"site{i}", "activated_at": _ago(60)}
            for i, ol in zip(span, lines, strict=True)
        ],
    )
    invoices = _bulk(
        Invoice,
        [
            {**mine, "order_id": order, "number": 50_000 + i, "status": "paid", "currency": "MYR"}
            | {"total_minor": 1290, "seller_name": "Acme Hosting", "seller_address": "Kuala Lumpur"}
            | {"buyer_name": "Nur Aisyah", "buyer_email": "aisyah@example.com"}
            | {"issued_at": _ago(60), "paid_at": _ago(60)}
            for i, order in zip(span, orders, strict=True)
        ],
        returning=True,
    )
    _bulk(
        InvoiceLine,
        [
            {
                "reseller_id": cast.shop,
                "invoice_id": inv,
                "position": 1,
                "description": "Hosting",
                "amount_minor": 1290,
            }
            for inv in invoices
        ],
    )
    cast.orders += tuple(orders)
    cast.invoices += tuple(invoices)


def _add_tickets(cast: Cast, span: range) -> None:
    """Tickets, a fifth closed 30 months ago (past retention); each with customer, team and staff messages."""
    from storefront.models import Author, Ticket, TicketMessage

    rows = []
    for i in span:
        closed = i % 5 == 0
        rows.append(
            {
                "reseller_id": cast.shop,
                "customer_id": cast.customer,
                "subject": f"Question {i} about my hosting",
                "status": "closed" if closed else "open",
                "reply_token": secrets.token_urlsafe(18),
                "created_at": _ago(60 * 24 * (900 if closed else 10)),
                "closed_at": _ago(60 * 24 * 900) if closed else None,
            }
        )
    tickets = _bulk(Ticket, rows, returning=True)
    authors = [Author.CUSTOMER, Author.TEAM, Author.CUSTOMER, Author.STAFF, Author.TEAM]
    messages = [
        {
            "reseller_id": cast.shop,
            "ticket_id": ticket,
            "author": authors[n % len(authors)],
            "team_member_id": (cast.owner, cast.agent)[n % 2]
            if authors[n % len(authors)] == Author.TEAM
            else None,
            "staff_id": cast.staff[0] if authors[n % len(authors)] == Author.STAFF else None,
            "body": f"Message {n} of ticket {ticket}: " + "the site shows an error after the update. " * 4,
            "internal": n == 7,
        }
        for ticket in tickets
        for n in range(MESSAGES_PER_TICKET)
    ]
    _bulk(TicketMessage, messages)
    cast.tickets += tuple(tickets)


def _audit_row(cast: Cast, i: int, customer: int, record: str, staff: bool, minutes_ago: float) -> dict:
    actor, role = (
        (f"staff:{cast.staff[i % len(cast.staff)]}", "admin")
        if staff
        else ((f"team:{cast.owner}", "owner") if i % 2 else (f"team:{cast.agent}", "agent"))
    )
    actions = ("view", "reply", "note", "status", "escalate", "claim")
    return {
        "actor": actor,
        "actor_role": role,
        "reseller_id": cast.shop,
        "record": record,
        "customer_id": customer,
        "action": actions[i % len(actions)],
        "reason": "" if staff or i % 3 else "The customer asked by phone",
        "request_id": secrets.token_hex(8),
        "created_at": _ago(minutes_ago),
    }


def _add_customer_audit(cast: Cast, span: range) -> None:
    """Entries about the demo customer: a quarter by staff, the rest by the owner and the agent."""
    from storefront.models import AuditEntry

    def record(i: int) -> str:
        ticket, invoice = cast.tickets[i % len(cast.tickets)], cast.invoices[i % len(cast.invoices)]
        order = cast.orders[i % len(cast.orders)]
        return (f"ticket:{ticket}", f"invoice:{invoice}", f"customer:{cast.customer}", f"order:{order}")[
            i % 4
        ]

    _bulk(
        AuditEntry,
        [_audit_row(cast, i, cast.customer, record(i), i % 4 == 0, VOLUME["audit"] - i) for i in span],
    )


def _add_disclosures(cast: Cast, span: range) -> None:
    from storefront.models import Disclosure, LegalBasis

    bases = list(LegalBasis)
    _bulk(
        Disclosure,
        [
            {"reseller_id": cast.shop, "customer_id": cast.customer, "recipient": f"Registry {i}"}
            | {"data": "name, email, domain", "purpose": "Registering the domain you ordered"}
            | {"legal_basis": bases[i % len(bases)], "reference": f"REF-{i}" if i % 2 else ""}
            | {"disclosed_at": _ago(60 * 24 * 3 * i), "recorded_by": f"staff:{cast.staff[0]}"}
            for i in span
        ],
    )


def _add_consents(cast: Cast, span: range) -> None:
    from storefront.models import ConsentEvent

    _bulk(
        ConsentEvent,
        [
            {
                "reseller_id": cast.shop,
                "customer_id": cast.customer,
                "purpose": "marketing",
                "granted": i % 2 == 0,
            }
            | {"source": "privacy centre", "notice_version": 1, "created_at": _ago(VOLUME["consents"] - i)}
            for i in span
        ],
    )


def _correction_row(cast: Cast, i: int, customer: int, record: str) -> dict:
    """Open, answered or closed by turns; the first is closed as corrected, its passing-on not recorded."""
    from storefront.models import CorrectionOutcome, CorrectionStatus

    asked = _ago(60 * 24 * (i % 40) + i)
    status = (CorrectionStatus.CLOSED, CorrectionStatus.OPEN, CorrectionStatus.ANSWERED)[i % 3]
    answered = status != CorrectionStatus.OPEN
    closed = status == CorrectionStatus.CLOSED
    return {
        "reseller_id": cast.shop,
        "customer_id": customer,
        "record": record,
        "details": "The name on this record is misspelt; it should read Nur Aisyah binti Ahmad.",
        "status": status,
        "due_at": asked + timedelta(days=21),
        "created_at": asked,
        "answer": "We have corrected it." if answered else "",
        "answered_at": asked + timedelta(days=2) if answered else None,
        "answered_by_id": cast.owner if answered else None,
        "outcome": CorrectionOutcome.CORRECTED if closed else None,
        "closed_at": asked + timedelta(days=3) if closed else None,
    }


def _add_corrections(cast: Cast, span: range) -> None:
    from storefront.models import CorrectionRequest

    records = [f"invoice:{cast.invoices[0]}", f"order:{cast.orders[1]}", "other"]
    rows = [_correction_row(cast, i, cast.customer, records[i % 3]) for i in span]
    ids = _bulk(CorrectionRequest, rows, returning=True)
    cast.correction = cast.correction or ids[0]


def _add_other_customers(cast: Cast, span: range) -> list[int]:
    """More customers of the shop, every tenth closed 30 months ago; two audit entries each."""
    from storefront.models import AuditEntry, Customer

    customers = _bulk(
        Customer,
        [
            {"reseller_id": cast.shop, "email": f"bulk{i:05d}@example.com", "name": f"Bulk Customer {i:05d}"}
            | {"password_hash": "!", "privacy_notice_version": 1, "created_at": _ago(60 * 24 * 1000 - i)}
            | {"closed_at": _ago(60 * 24 * 900) if i % 10 == 0 else None}
            for i in span
        ],
        returning=True,
    )
    _bulk(
        AuditEntry,
        [
            _audit_row(cast, i + n, customer, f"customer:{customer}", n == 1, 10_000 - i)
            for i, customer in zip(span, customers, strict=True)
            for n in range(2)
        ],
    )
    return customers


def _add_shop_corrections(cast: Cast, span: range, customers: list[int]) -> None:
    from storefront.models import CorrectionRequest

    _bulk(
        CorrectionRequest,
        [_correction_row(cast, i, customers[n % len(customers)], "other") for n, i in enumerate(span)],
    )


def _add_breaches(cast: Cast, span: range, customers: list[int]) -> None:
    """Breaches reaching Acme; the first reached every customer added here, the demo customer too."""
    from storefront.models import Breach, BreachCustomer, BreachShop

    rows = [
        {"title": f"Breach {i}", "discovered_at": _ago(60 * 24 * i + 5), "scope": "A mailbox was opened."}
        | {"data_categories": "name, email", "recorded_by_id": cast.staff[0], "created_at": _ago(60 * 24 * i)}
        for i in span
    ]
    breaches = _bulk(Breach, rows, returning=True)
    _bulk(BreachShop, [{"breach_id": breach, "reseller_id": cast.shop} for breach in breaches])
    cast.breach = cast.breach or breaches[0]
    reached = customers + ([cast.customer] if breaches and breaches[0] == cast.breach else [])
    now = _ago(0)
    _bulk(
        BreachCustomer,
        [
            {
                "breach_id": cast.breach,
                "customer_id": c,
                "reseller_id": cast.shop,
                "notified_at": now if n % 2 else None,
            }
            for n, c in enumerate(reached)
        ],
    )


def _clients(app, cast: Cast) -> dict:
    from storefront.extensions import db
    from storefront.models import Customer, StaffUser, TeamMember

    with app.app_context():
        emails = (
            db.session.get(Customer, cast.customer).email,
            db.session.get(TeamMember, cast.owner).email,
            db.session.get(StaffUser, cast.staff[0]).email,
        )
    return {
        "customer": signed_in(app, SHOP, "/login", emails[0]),
        "owner": signed_in(app, SHOP, "/console/login", emails[1]),
        "staff": signed_in(app, STAFF, "/staff/login", emails[2]),
    }


def _queries(app, client, base: str, path: str) -> tuple[int, int, int]:
    """Return (statements, status, bytes) of one request, after one request to warm up."""
    from sqlalchemy import event

    from storefront.extensions import db

    with app.app_context():
        engine = db.engine
    client.get(path, base_url=base)
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(path, base_url=base)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements), response.status_code, len(response.data)


def _times(client, base: str, path: str, requests: int) -> tuple[float, float, float]:
    """Return the median and 95th-percentile time and the median CPU time of this thread, in ms.

    The CPU time leaves out waiting for a busy machine's processors (and for the disk), so it
    stays steady when other work runs alongside.
    """
    times, cpu = [], []
    for _ in range(requests):
        began, began_cpu = time.perf_counter(), time.thread_time()
        client.get(path, base_url=base)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.thread_time() - began_cpu) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from storefront.demo import seed_demo

    with tempfile.TemporaryDirectory() as directory:
        app = make_app(Path(directory))
        with app.app_context():
            upgrade()
            seed_demo()
            cast = _cast()
            _add_volume(cast, (0, 0.25))
        clients = _clients(app, cast)
        pages = [(who, template.format(**cast.ids())) for who, template in PAGES]
        quarter = {path: _queries(app, clients[who], BASES[who], path)[0] for who, path in pages}
        with app.app_context():
            _add_volume(cast, (0.25, 1))
        print(
            f"One customer: {VOLUME['orders']} orders/invoices/services, {VOLUME['tickets']} tickets "
            f"x {MESSAGES_PER_TICKET} messages, {VOLUME['audit']:,} audit entries, {VOLUME['disclosures']} "
            f"disclosures, {VOLUME['consents']} consents, {VOLUME['corrections']} corrections; "
            f"{VOLUME['customers']:,} more customers, {VOLUME['shop_corrections']:,} corrections, "
            f"{VOLUME['breaches']} breaches in the shop; {args.requests} requests each"
        )
        heading = ("median ms", "p95 ms", "cpu ms", "q at 1/4", "queries", "KB", "status")
        print(f"{'page':<42} " + " ".join(f"{name:>9}" for name in heading))
        for who, path in pages:
            client, base = clients[who], BASES[who]
            queries, status, size = _queries(app, client, base, path)
            median, p95, cpu = _times(client, base, path, args.requests)
            print(
                f"{path:<42} {median:>9.2f} {p95:>9.2f} {cpu:>9.2f} {quarter[path]:>9} {queries:>9} "
                f"{size / 1024:>9.1f} {status:>9}"
            )


if __name__ == "__main__":
    main()
