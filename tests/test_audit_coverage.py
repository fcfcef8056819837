"""Every look at a customer's data by the shop's team or the platform's staff, and every change to it,
is in the audit log under that customer: lists included, one entry per customer they showed."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from storefront.extensions import db
from storefront.models import (
    AuditEntry,
    CorrectionRequest,
    Customer,
    Invoice,
    Order,
    OrderLine,
    OutboxMessage,
    Service,
    ServiceStatus,
    StaffRole,
    TeamMember,
    Ticket,
    utcnow,
)
from storefront.privacy.corrections import due_at_for
from tests.console.shop_data import add_orders, checkout, only_order_id
from tests.mail.inbound_support import file_email
from tests.shop.helpers import csrf_from
from tests.staff.escalation_helpers import open_for, staff_client, staff_id
from tests.staff.test_escalations import _poll_url
from tests.steps import customer_id, make_ticket, number_of, owner_client, shop_id

AISYAH = "aisyah@example.com"
HTMX = {"HX-Request": "true"}


def entries(app, record: str, action: str) -> list[tuple[str, str, int | None, int | None]]:
    """Return (actor, role, shop, customer) of each entry for ``record`` and ``action``, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.actor, AuditEntry.actor_role, AuditEntry.reseller_id, AuditEntry.customer_id)
            .where(AuditEntry.record == record, AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


def entry_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEntry.id)))


def owner_actor(app) -> str:
    with app.app_context():
        member = db.session.scalar(select(TeamMember.id).where(TeamMember.email == "owner@acme-hosting.test"))
        return f"team:{member}"


def add_correction(app, email: str = AISYAH) -> int:
    """Store a correction request of an Acme customer; return its id."""
    with app.app_context():
        created = utcnow()
        correction = CorrectionRequest(
            reseller_id=shop_id(app),
            customer_id=customer_id(app, email),
            record="other",
            details="My name is spelt wrong.",
            created_at=created,
            due_at=due_at_for(created),
        )
        db.session.add(correction)
        db.session.commit()
        return correction.id


def invoice_of_order(app, order_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(Invoice.id).where(Invoice.order_id == order_id))


def test_console_lists_record_each_customer_they_show_once(app, demo, client_for) -> None:
    shopper = checkout(client_for)
    make_ticket(app, subject="Site down")
    make_ticket(app, subject="Mail down")  # two tickets of one customer: one entry for her
    add_correction(app)
    team, me, acme, aisyah = (
        owner_client(client_for),
        owner_actor(app),
        shop_id(app),
        customer_id(app, AISYAH),
    )
    for path, record in (
        ("/console/customers", "customers"),
        ("/console/orders", "orders"),
        ("/console/corrections", "corrections"),
        ("/console/tickets", "tickets"),
    ):
        before = entry_count(app)
        assert team.get(path).status_code == 200, path
        listed = entries(app, record, "list")
        assert listed.count((me, "owner", acme, aisyah)) == 1, path
        assert (me, "owner", acme, None) in listed, path  # the list itself, with its search and page
        assert entry_count(app) - before == len({row[3] for row in listed}), path
    log = shopper.get("/account/privacy").text
    for words in (
        "saw you in the customer list",
        "saw your order in the order list",
        "saw your correction request in the list of requests",
        "saw your ticket in the inbox",
    ):
        assert words in log


def test_the_inbox_fragment_is_audited_too(app, demo, client_for) -> None:
    make_ticket(app)
    team = owner_client(client_for)
    fragment = team.get("/console/tickets?view=open", headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert (owner_actor(app), "owner", shop_id(app), customer_id(app, AISYAH)) in entries(
        app, "tickets", "list"
    )


def test_console_records_are_audited_under_their_customer(app, demo, client_for) -> None:
    checkout(client_for)
    ticket_id, correction_id, order_id = make_ticket(app), add_correction(app), only_order_id(app)
    aisyah = customer_id(app, AISYAH)
    team, expected = owner_client(client_for), (owner_actor(app), "owner", shop_id(app), aisyah)
    for path, record in (
        (f"/console/customers/{number_of(app, Customer, aisyah)}", f"customer:{aisyah}"),
        (f"/console/tickets/{number_of(app, Ticket, ticket_id)}", f"ticket:{ticket_id}"),
        (f"/console/orders/{number_of(app, Order, order_id)}", f"order:{order_id}"),
        (
            f"/console/corrections/{number_of(app, CorrectionRequest, correction_id)}",
            f"correction:{correction_id}",
        ),
    ):
        assert team.get(path).status_code == 200, path
        assert entries(app, record, "view") == [expected], path


def test_a_bank_transfer_marked_in_the_console_and_its_refusals_are_audited(app, demo, client_for) -> None:
    checkout(client_for)
    order_id = only_order_id(app)
    invoice_id, aisyah = invoice_of_order(app, order_id), customer_id(app, AISYAH)
    team, expected = owner_client(client_for), (owner_actor(app), "owner", shop_id(app), aisyah)
    order = f"/console/orders/{number_of(app, Order, order_id)}"
    path = f"{order}/bank-transfer"
    token = csrf_from(team.get(order).text)
    refused = team.post(path, data={"reference": " ", "csrf_token": token})
    assert refused.status_code == 400 and "reference" in refused.text
    assert entries(app, f"order:{order_id}", "view") == [expected] * 2  # the page, then its refusal
    assert entries(app, f"invoice:{invoice_id}", "bank_transfer") == []  # nothing was marked
    assert team.post(path, data={"reference": "MBB 1234", "csrf_token": token}).status_code == 303
    assert entries(app, f"invoice:{invoice_id}", "bank_transfer") == [expected]
    again = team.post(path, data={"reference": "MBB 1234", "csrf_token": token})
    assert again.status_code == 409 and "Nothing was changed" in again.text
    assert entries(app, f"order:{order_id}", "view") == [expected] * 3
    assert entries(app, f"invoice:{invoice_id}", "bank_transfer") == [expected]


def test_a_refused_correction_step_is_audited_as_a_view(app, demo, client_for) -> None:
    correction_id = add_correction(app)
    team = owner_client(client_for)
    expected = (owner_actor(app), "owner", shop_id(app), customer_id(app, AISYAH))
    correction = f"/console/corrections/{number_of(app, CorrectionRequest, correction_id)}"
    page = team.get(correction).text
    refused = team.post(f"{correction}/close", data={"answer": "", "csrf_token": csrf_from(page)})
    assert refused.status_code == 400
    assert entries(app, f"correction:{correction_id}", "view") == [expected] * 2
    assert entries(app, f"correction:{correction_id}", "close") == []
    with app.app_context():
        assert db.session.get(CorrectionRequest, correction_id).closed_at is None


def test_the_billing_desk_is_audited_under_each_customer(app, demo, client_for, make_staff) -> None:
    shopper = checkout(client_for)
    staff = staff_client(client_for, make_staff, role=StaffRole.BILLING)
    me, acme, aisyah = f"staff:{staff_id(app)}", shop_id(app), customer_id(app, AISYAH)
    expected = (me, "billing", acme, aisyah)
    page = staff.get("/staff/payments").text
    listed = entries(app, "payments", "list")
    assert listed[0] == (me, "billing", None, None) and listed.count(expected) == 1
    invoice_id = invoice_of_order(app, only_order_id(app))
    paid = staff.post(
        f"/staff/payments/{invoice_id}/bank-transfer",
        data={"reference": "MBB 2611 0042", "csrf_token": csrf_from(page)},
    )
    assert paid.status_code == 303
    assert entries(app, f"invoice:{invoice_id}", "bank_transfer") == [expected]
    queue = staff.get("/staff/provisioning").text
    assert expected in entries(app, "provisioning", "list")
    with app.app_context():
        service_id = db.session.scalar(select(Service.id).where(Service.customer_id == aisyah))
    path = f"/staff/provisioning/{service_id}/activate"
    bad = staff.post(path, data={"server": "web12", "username": "Bad!", "csrf_token": csrf_from(queue)})
    assert bad.status_code == 400 and "aisyah-bakery.com.my" in bad.text
    assert entries(app, "provisioning", "list").count(expected) == 2  # the queue shown again
    assert entries(app, f"service:{service_id}", "activate") == []
    ok = staff.post(path, data={"server": "web12", "username": "aisyahbk", "csrf_token": csrf_from(queue)})
    assert ok.status_code == 303
    assert entries(app, f"service:{service_id}", "activate") == [expected]
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage.kind).where(OutboxMessage.kind == "service_active"))
    log = shopper.get("/account/privacy").text
    assert "Acme Escalations Team" in log and "ops@platform.test" not in log
    for words in (
        "saw your unpaid invoice in the list of payments to confirm",
        "marked invoice INV-000001 paid",
        "saw your hosting service in the queue of services to set up",
        "set up one of your hosting services",
    ):
        assert words in log


def _add_pending_services(app, count: int) -> None:
    """Give ``count`` new Acme customers an unpaid order each and a paid service waiting to be set up."""
    add_orders(app, count)
    with app.app_context():
        model = db.session.scalar(select(Service))
        orders = db.session.execute(
            select(Order.id, Order.customer_id).where(Order.idempotency_key.like("bulk-%"))
        ).all()
        lines = db.session.scalars(
            insert(OrderLine).returning(OrderLine.id, sort_by_parameter_order=True),
            [
                {
                    "reseller_id": model.reseller_id,
                    "order_id": order_id,
                    "kind": "hosting",
                    "plan_id": model.plan_id,
                    "cycle": model.cycle,
                    "domain": f"bulk{order_id}.com.my",
                    "description": "Hosting",
                    "amount_minor": 1000,
                    "wholesale_minor": 500,
                }
                for order_id, _ in orders
            ],
        ).all()
        services = [
            {
                "reseller_id": model.reseller_id,
                "order_line_id": line_id,
                "customer_id": buyer,
                "plan_id": model.plan_id,
                "cycle": model.cycle,
                "domain": f"bulk{order_id}.com.my",
                "status": ServiceStatus.PENDING,
            }
            for line_id, (order_id, buyer) in zip(lines, orders, strict=True)
        ]
        db.session.execute(insert(Service), services)
        db.session.commit()


def test_the_billing_desk_pages_cost_the_same_queries_for_1_or_21_customers(
    app, demo, client_for, make_staff, count_queries
) -> None:
    checkout(client_for)
    staff = staff_client(client_for, make_staff, role=StaffRole.BILLING)

    def cost(path: str) -> int:
        staff.get(path)
        with count_queries() as statements:
            assert staff.get(path).status_code == 200
        return len(statements)

    page = staff.get("/staff/payments").text
    invoice_id = invoice_of_order(app, only_order_id(app))
    few_payments = cost("/staff/payments")
    staff.post(
        f"/staff/payments/{invoice_id}/bank-transfer",
        data={"reference": "MBB 1", "csrf_token": csrf_from(page)},
    )
    few_services = cost("/staff/provisioning")
    _add_pending_services(app, 20)
    assert cost("/staff/payments") == few_payments
    assert cost("/staff/provisioning") == few_services
    with app.app_context():  # the last page load: one entry per customer waiting
        last = db.session.scalar(select(AuditEntry.request_id).order_by(AuditEntry.id.desc()).limit(1))
        about = select(func.count()).where(AuditEntry.request_id == last, AuditEntry.customer_id.is_not(None))
        waiting = select(func.count(func.distinct(Service.customer_id))).where(
            Service.status == ServiceStatus.PENDING
        )
        assert db.session.scalar(about) == db.session.scalar(waiting) >= 21


def test_the_escalation_queue_is_audited_when_shown_never_on_a_204(app, demo, client_for, make_staff) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    staff = staff_client(client_for, make_staff)
    expected = (f"staff:{staff_id(app)}", "support", shop_id(app), customer_id(app, AISYAH))
    page = staff.get("/staff/escalations").text
    listed = entries(app, "escalations", "list")
    assert listed[0] == (expected[0], "support", None, None) and listed.count(expected) == 1
    poll = _poll_url(page)
    before = entry_count(app)
    assert staff.get(poll, headers=HTMX).status_code == 204
    assert entry_count(app) == before  # nothing new was shown
    open_for(app, "kedai", "Another", escalated=True)  # the queue changes: the poll shows it
    changed = staff.get(poll, headers=HTMX)
    assert changed.status_code == 200 and "Another" in changed.text
    kedai = (expected[0], "support", shop_id(app, "kedai"), customer_id(app, "raj@example.org", "kedai"))
    listed = entries(app, "escalations", "list")
    assert listed.count(expected) == 2 and kedai in listed
    assert staff.get(f"/staff/escalations/{ticket_id}").status_code == 200
    assert expected in entries(app, f"ticket:{ticket_id}", "view")


def test_a_triage_email_opened_at_a_shop_is_audited_with_its_customer(
    app, demo, client_for, make_staff
) -> None:
    raw = (
        b"Authentication-Results: mx.inbound.test; dmarc=pass header.from=example.com\r\n"
        b"From: Nur Aisyah <aisyah@example.com>\r\nTo: help@unknown-shop.test\r\n"
        b"Subject: Where did my site go\r\nMessage-ID: <audit-triage-1@example.com>\r\n"
        b"Date: Fri, 20 Nov 2026 09:30:00 +0800\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"My site is gone since this morning.\r\n"
    )
    filed = file_email(app, raw)
    staff = staff_client(client_for, make_staff)
    page = staff.get(f"/staff/escalations/triage/{filed.id}").text
    acme = shop_id(app)
    opened = staff.post(
        f"/staff/escalations/triage/{filed.id}/open",
        data={"reseller_id": acme, "csrf_token": csrf_from(page)},
    )
    assert opened.status_code == 303
    aisyah = customer_id(app, AISYAH)
    with app.app_context():
        assert db.session.scalar(select(Ticket.customer_id).where(Ticket.subject == "Where did my site go"))
    expected = (f"staff:{staff_id(app)}", "support", acme, aisyah)
    assert entries(app, f"inbound:{filed.id}", "open_ticket") == [expected]


def test_a_refused_disclosure_lookup_is_audited_without_the_email(app, demo, client_for, make_staff) -> None:
    staff = staff_client(client_for, make_staff, role=StaffRole.ADMIN)
    page = staff.get("/staff/disclosures/new").text
    acme = shop_id(app)
    refused = staff.post(
        "/staff/disclosures/new",
        data={
            "shop": str(acme),
            "customer_email": "nobody-here@example.com",
            "recipient": "MYNIC domain registry",
            "data_disclosed": "Name and email",
            "purpose": "Registering a domain",
            "legal_basis": "contract",
            "reference": "REG-1",
            "disclosed_on": utcnow().strftime("%Y-%m-%d"),
            "csrf_token": csrf_from(page),
        },
    )
    assert refused.status_code == 400 and "No customer with that email" in refused.text
    assert entries(app, "disclosures", "customer_lookup_refused") == [
        (f"staff:{staff_id(app)}", "admin", acme, None)
    ]
    with app.app_context():
        reasons = list(db.session.scalars(select(AuditEntry.reason)))
    assert reasons and not any("nobody-here" in reason for reason in reasons)
