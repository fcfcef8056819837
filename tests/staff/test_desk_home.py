"""The staff desk's home: the escalation queue counted by state and by shop, and the work waiting
for the billing desk, each shown to the roles that do that work, at a fixed cost."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import Invoice, InvoiceStatus, Service, ServiceStatus, StaffRole, Ticket
from storefront.support.escalation import claim
from tests.console.test_home import add_sales
from tests.staff.escalation_helpers import open_for, shop_id, staff_client, staff_id


def _figure(page: str, name: str) -> int:
    return int(re.search(rf'data-figure="{name}">(\d+)<', page).group(1))


def _rows(page: str, table: str) -> list[tuple[str, ...]]:
    """The table's body rows as the text of their cells."""
    body = re.search(rf'<table[^>]*id="{table}".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [
        tuple(
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        )
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_queue_is_counted_by_state_and_by_shop(app, demo, client_for, make_staff) -> None:
    open_for(app, "acme", "Email bounces", escalated=True)
    open_for(app, "acme", "Site slow", hours_ago=30)  # missed its deadline, still the shop's
    open_for(app, "bluewave", "DNS not resolving", hours_ago=30)
    open_for(app, "bluewave", "Renewal question", escalated=True, hours_ago=40)
    open_for(app, "kedai", "Quiet question")  # within its deadline: not on the screen
    client = staff_client(client_for, make_staff)
    mail_lost = open_for(app, "kedai", "Mail lost", escalated=True)
    with app.app_context():
        claim(db.session.get(Ticket, mail_lost), staff_id(app))
        db.session.commit()

    page = client.get("/staff/")

    assert page.status_code == 200
    assert _figure(page.text, "queue-total") == 5
    assert _figure(page.text, "queue-missed") == 3  # the two late ones and the escalated one opened 40 h ago
    assert _figure(page.text, "queue-unassigned") == 4
    assert dict(_rows(page.text, "queue-by-state")) == {"Open": "2", "Escalated": "3"}
    assert _rows(page.text, "queue-by-shop") == [
        ("Acme Hosting", "2", "1", "1"),
        ("BlueWave Web", "2", "1", "2"),
        ("Kedai Hosting", "1", "1", "0"),
    ]
    acme = shop_id(app, "acme")
    assert f'href="/staff/escalations?shop={acme}">Acme Hosting</a>' in page.text
    assert 'href="/staff/escalations?status=escalated">Escalated</a>' in page.text


def test_the_billing_desk_sees_the_work_waiting(app, demo, client_for, make_staff) -> None:
    add_sales(app, "acme", [(None, 1_000), (None, 2_000)])
    add_sales(app, "bluewave", [(None, 3_000)])
    with app.app_context():
        transfers = db.session.scalar(
            select(func.count(Invoice.id)).where(Invoice.status == InvoiceStatus.ISSUED)
        )
        services = db.session.scalar(
            select(func.count(Service.id)).where(Service.status == ServiceStatus.PENDING)
        )
    billing = staff_client(client_for, make_staff, role=StaffRole.BILLING)

    page = billing.get("/staff/").text

    assert transfers >= 3
    assert _figure(page, "bank-transfers") == transfers
    assert _figure(page, "services-to-provision") == services
    assert "Escalation queue" not in page and "queue-by-shop" not in page


def test_support_staff_do_not_see_the_billing_desks_work(app, demo, client_for, make_staff) -> None:
    add_sales(app, "acme", [(None, 1_000)])
    page = staff_client(client_for, make_staff).get("/staff/").text
    assert "Escalation queue" in page and "Bank transfers" not in page


def test_the_desk_costs_the_same_queries_however_long_the_queues(
    app, demo, client_for, make_staff, count_queries
) -> None:
    admin = staff_client(client_for, make_staff, role=StaffRole.ADMIN)
    open_for(app, "acme", "One", escalated=True)
    with count_queries() as few:
        assert admin.get("/staff/").status_code == 200
    for slug in ("acme", "bluewave", "kedai"):
        for n in range(5):
            open_for(app, slug, f"Late {n}", hours_ago=30)
    add_sales(app, "kedai", [(None, 500)] * 50)
    with count_queries() as many:
        page = admin.get("/staff/").text
    assert len(many) == len(few)
    assert _figure(page, "queue-total") == 16
