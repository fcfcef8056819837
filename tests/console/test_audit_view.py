"""The owner's view of the audit log: entries about the shop's own customers, staff shown as the persona."""

from __future__ import annotations

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import AuditEntry, Customer, StaffRole, TeamMember, Ticket
from tests.leakguard import find_leaks
from tests.shop.privacy_support import add_customer
from tests.staff.escalation_helpers import open_for, post, staff_client, staff_id
from tests.steps import customer_id, customer_number, number_of, owner_client, shop_id

STAFF_NAME, STAFF_EMAIL = "Ops Person", "ops@platform.test"


def member_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(TeamMember.id).where(TeamMember.email == email))


def add_entries(app, *specs: dict) -> None:
    with app.app_context():
        for spec in specs:
            db.session.add(
                AuditEntry(**{"actor": "system", "record": "customer:1", "action": "view", **spec})
            )
        db.session.commit()


def staff_views_an_escalated_ticket(app, client_for, make_staff) -> int:
    """Platform staff open an escalated ticket of acme's demo customer and assign it to themselves."""
    ticket_id = open_for(app, "acme", "Site down", escalated=True)
    staff = staff_client(client_for, make_staff, role=StaffRole.SUPPORT)
    assert staff.get(f"/staff/escalations/{ticket_id}").status_code == 200
    me = staff_id(app)
    assert post(staff, f"/staff/escalations/{ticket_id}/assign", {"assignee": str(me)}).status_code == 303
    return ticket_id


def test_owner_sees_who_looked_at_their_customers(app, demo, client_for, make_staff) -> None:
    aisyah = customer_number(app)
    ticket_id = staff_views_an_escalated_ticket(app, client_for, make_staff)
    ticket = number_of(app, Ticket, ticket_id)
    owner = owner_client(client_for)
    assert owner.get(f"/console/customers/{aisyah}").status_code == 200
    add_entries(
        app,
        {
            "actor": "team:1",
            "reseller_id": shop_id(app, "bluewave"),
            "customer_id": 99,
            "reason": "other shop",
        },
        {"actor": "system", "reseller_id": shop_id(app, "acme"), "reason": "about no customer"},
    )
    response = owner.get("/console/audit")
    assert response.status_code == 200
    page = response.text
    assert "Farid Hassan" in page and f"<td hx-disable>customer {aisyah}</td>" in page
    assert "Acme Escalations Team (platform staff)" in page and f"<td hx-disable>ticket {ticket}</td>" in page
    assert f'href="/console/customers/{aisyah}">#{aisyah}</a>' in page and "ticket:" not in page
    assert "other shop" not in page and "about no customer" not in page
    for private in (STAFF_NAME, STAFF_EMAIL, "staff:"):
        assert private not in page
    assert find_leaks(app.config, page) == []


def test_staff_reasons_never_reach_the_shop(app, demo, client_for, make_staff) -> None:
    staff_views_an_escalated_ticket(app, client_for, make_staff)
    with app.app_context():
        reasons = db.session.scalars(select(AuditEntry.reason).where(AuditEntry.action == "assign")).all()
    assert any(STAFF_NAME in reason for reason in reasons)  # the staff log keeps who was assigned
    page = owner_client(client_for).get("/console/audit?action=assign").text
    assert "assign" in page and STAFF_NAME not in page


def test_owner_filters_by_customer_and_action(app, demo, client_for) -> None:
    acme = shop_id(app, "acme")
    one = add_customer(app, "acme", "one@example.com", "Customer One")
    two = add_customer(app, "acme", "two@example.com", "Customer Two")
    add_entries(
        app,
        {"actor": "team:1", "reseller_id": acme, "customer_id": one, "action": "view", "reason": "mark-one"},
        {"actor": "team:1", "reseller_id": acme, "customer_id": two, "action": "view", "reason": "mark-two"},
        {
            "actor": "team:1",
            "reseller_id": acme,
            "customer_id": two,
            "action": "reply",
            "reason": "mark-three",
        },
    )
    owner = owner_client(client_for)
    number = number_of(app, Customer, two)
    page = owner.get(f"/console/audit?customer={number}").text
    assert "mark-two" in page and "mark-three" in page and "mark-one" not in page
    page = owner.get(f"/console/audit?customer={number}&action=reply").text
    assert "mark-three" in page and "mark-two" not in page
    for bad, message in (
        ("customer=abc", "customer number must be a whole number"),
        ("action=a%20b", "An action"),
    ):
        response = owner.get(f"/console/audit?{bad}")
        assert response.status_code == 400 and message in response.text


def test_the_view_is_audited_and_only_for_owners(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    owner.get("/console/audit?customer=5&page=2")
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.record == "audit"))
    assert entry.actor == f"team:{member_id(app, 'owner@acme-hosting.test')}" and entry.actor_role == "owner"
    assert entry.action == "list" and entry.reason == "page 2, customer 5" and entry.customer_id is None
    agent = owner_client(client_for, email="agent@acme-hosting.test")
    assert agent.get("/console/audit").status_code == 403
    assert "Audit log" not in agent.get("/console/customers").text
    assert "Audit log" in owner.get("/console/customers").text


def test_a_page_costs_the_same_queries_however_many_entries(app, demo, client_for, count_queries) -> None:
    acme, owner_id = shop_id(app, "acme"), member_id(app, "owner@acme-hosting.test")
    agent_id = member_id(app, "agent@acme-hosting.test")
    owner = owner_client(client_for)
    add_entries(app, {"actor": f"team:{owner_id}", "reseller_id": acme, "customer_id": customer_id(app)})
    owner.get("/console/audit")
    with count_queries() as few:
        assert owner.get("/console/audit").status_code == 200
    many = [
        {"actor": actor, "reseller_id": acme, "customer_id": i}
        for i in range(80)
        for actor in (f"team:{owner_id}", f"team:{agent_id}", f"staff:{i}", f"customer:{i}")
    ]
    add_entries(app, *many)
    with count_queries() as after:
        page = owner.get("/console/audit")
    assert len(after) == len(few)
    assert "Siti Rahman" in page.text and "The customer" in page.text and "Page 1 of 7" in page.text


def test_the_request_id_is_the_proxys_only_when_it_looks_like_one(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    customer, number = customer_id(app), customer_number(app)
    owner.get(f"/console/customers/{number}", headers={"X-Request-Id": "3f2c9a1e-7b44-4d0e-9a51"})
    owner.get(f"/console/customers/{number}", headers={"X-Request-Id": '=HYPERLINK("x") <b>'})
    with app.app_context():
        ids = list(
            db.session.scalars(
                select(AuditEntry.request_id)
                .where(AuditEntry.record == f"customer:{customer}")
                .order_by(AuditEntry.id)
            )
        )
    assert ids[0] == "3f2c9a1e-7b44-4d0e-9a51"
    assert "HYPERLINK" not in ids[1] and len(ids[1]) == 16
