"""The leak guard's number check: a shop counts its orders, tickets, corrections and every other
record from 1, and no global id of its rows reaches its URLs, email subjects or emails.

It cannot pass by chance: other shops are filled first, so the shop's rows get global ids far
beyond its numbers, and the test asserts that before it looks.
"""

from __future__ import annotations

import html
import io
import re
from urllib.parse import urlsplit

from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from storefront.extensions import db
from storefront.fulfilment.provisioning import activate
from storefront.models import OutboxMessage, Reseller, Service, StaffRole, StaffUser, Ticket
from storefront.support.tickets import add_staff_reply
from tests.shop.helpers import csrf_from, sign_in
from tests.shop.numbers_support import fill_shops, global_ids, integers_in
from tests.steps import buy_and_pay, invite_to_team, owner_client

KEDAI = "kedai.localhost"
FILLED = 1000  # rows of each kind in the other shops, together
# URL paths that name a record by number, and the table whose number it is.
NUMBERED_PATHS = {
    r"/account/tickets/(\d+)": "ticket",
    r"/account/invoices/(\d+)": "invoice",
    r"/account/privacy/corrections/(\d+)": "correction_request",
    r"/console/tickets/(\d+)": "ticket",
    r"/console/orders/(\d+)": "order",
    r"/console/customers/(\d+)": "customer",
    r"/console/corrections/(\d+)": "correction_request",
    r"/console/domains/(\d+)": "domain",
    r"/console/team/members/(\d+)": "team_member",
    r"/console/team/invitations/(\d+)": "team_invitation",
}
SHOP_SEEDS = [
    "/account",
    "/account/orders",
    "/account/invoices",
    "/account/services",
    "/account/tickets",
    "/account/tickets/new",
    "/account/privacy",
]
CONSOLE_SEEDS = [
    "/console/tickets",
    "/console/tickets?view=all",
    "/console/customers",
    "/console/orders",
    "/console/corrections?status=all",
    "/console/audit",
    "/console/team",
    "/console/domains",
]
_LINK = re.compile(r'(href|src|action|hx-get|hx-post)="([^"]*)"')


def _post_with_file(client, path: str, fields: dict):
    upload = FileStorage(io.BytesIO(b"log line\n" * 20), "error.log", content_type="text/plain")
    boundary, body = encode_multipart(MultiDict({**fields, "files": [upload]}))
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _kedai_works(app, client_for) -> None:
    """Kedai's first order, ticket (with a file, escalated, answered) and correction, through its pages."""
    raj = client_for(KEDAI)
    sign_in(raj, "raj@example.org")
    buy_and_pay(raj, "starter", "numbered-kedai.com")
    with app.app_context():
        service = db.session.scalar(select(Service.id).where(Service.domain == "numbered-kedai.com"))
        activate(service, "web12", "numbered")
    token = csrf_from(raj.get("/account/tickets/new").text)
    fields = {"subject": "Site down", "body": "Please look.", "csrf_token": token}
    ticket_path = _post_with_file(raj, "/account/tickets/new", fields).headers["Location"]
    owner = owner_client(client_for, KEDAI)
    console_ticket = ticket_path.replace("/account/", "/console/")
    reply = {"body": "Looking into it.", "csrf_token": csrf_from(owner.get(console_ticket).text)}
    assert owner.post(f"{console_ticket}/reply", data=reply).status_code == 303
    raj.post(f"{ticket_path}/escalate", data={"reason": "Still down", "csrf_token": token})
    _staff_answers(app)
    asked = {"record": "order:1", "details": "The domain on my order is wrong.", "csrf_token": token}
    assert raj.post("/account/privacy/corrections", data=asked).status_code == 303
    correction = "/console/corrections/1"
    team_token = csrf_from(owner.get(correction).text)
    owner.post(f"{correction}/answer", data={"answer": "Fixed.", "csrf_token": team_token})
    owner.post(f"{correction}/close", data={"outcome": "corrected", "answer": "", "csrf_token": team_token})
    invite_to_team(client_for(KEDAI), "owner@kedaihosting.test", "numbered-agent@example.com")
    owner.post("/console/domains", data={"hostname": "numbered.example.com", "csrf_token": team_token})
    newcomer = client_for(KEDAI)
    signup = {"name": "New Customer", "email": "numbered-new@example.org", "password": "long enough password"}
    signup |= {"privacy_notice": "y", "csrf_token": csrf_from(newcomer.get("/signup").text)}
    assert newcomer.post("/signup", data=signup).status_code in (302, 303)


def _staff_answers(app) -> None:
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).join(Reseller).where(Reseller.slug == "kedai"))
        staff = StaffUser(email="numbers@platform.test", name="Numbers Staffer", role=StaffRole.SUPPORT)
        staff.set_password("a long enough password")
        db.session.add(staff)
        db.session.flush()
        add_staff_reply(db.session.get(Reseller, ticket.reseller_id), ticket, staff, "We restarted it.")
        db.session.commit()


def _crawl(client, seeds: list[str], limit: int = 250) -> list[str]:
    """GET the pages from ``seeds`` and those they link to on the host; return every URL seen."""
    queue, fetched, seen = list(seeds), set(), []
    while queue and len(fetched) < limit:
        url = queue.pop(0)
        if url in fetched or "logout" in url:
            continue
        fetched.add(url)
        response = client.get(url)
        seen += [url, response.headers.get("Location", "")]
        if response.mimetype != "text/html":
            continue
        for attribute, found in _LINK.findall(response.get_data(as_text=True)):
            found = html.unescape(found)
            seen.append(found)
            if attribute in ("href", "hx-get") and found.startswith("/") and not found.startswith("//"):
                queue.append(found)
    return [url for url in seen if url]


def _emails(app, slug: str) -> list[OutboxMessage]:
    with app.app_context():
        reseller_id = db.session.scalar(select(Reseller.id).where(Reseller.slug == slug))
        messages = list(
            db.session.scalars(select(OutboxMessage).where(OutboxMessage.reseller_id == reseller_id))
        )
        db.session.expunge_all()
        return messages


def test_a_shop_counts_from_one_and_no_global_id_reaches_it(app, demo, client_for) -> None:
    filled = fill_shops(app, ("acme", "bluewave"), FILLED // 2)
    _kedai_works(app, client_for)
    rows = global_ids(app, "kedai")
    # Before looking: the shop's first order, invoice, service, ticket and correction are number 1,
    # and their global ids are far from it.
    for table in ("order", "invoice", "service", "ticket", "correction_request"):
        [(row_id, number)] = rows[table].items()
        assert number == 1 and row_id > FILLED, (table, row_id)
    made_now = {table for table, ids in rows.items() if any(row_id > filled[table] for row_id in ids)}
    assert made_now == set(rows) - {"team_member"}, made_now  # every kind but the demo's team
    # Every global id past the filled range must stay out of the shop; smaller ones (the demo's own
    # rows, on a database that restarts its ids) are held to the URL patterns below instead.
    late = {row_id for ids in rows.values() for row_id in ids if row_id > FILLED}
    assert sum(row_id in late for ids in rows.values() for row_id in ids) >= len(made_now)

    raj = client_for(KEDAI)
    sign_in(raj, "raj@example.org")
    assert '<th scope="row">1</th>' in raj.get("/account/orders").text
    assert "/ ticket 1</p>" in raj.get("/account/tickets/1").text
    urls = _crawl(raj, SHOP_SEEDS) + _crawl(owner_client(client_for, KEDAI), CONSOLE_SEEDS)
    assert "/account/tickets/1" in urls and "/console/orders/1" in urls and "/console/corrections/1" in urls

    for url in urls:
        # A statement's month (month=2024-12) is a date, not a number a row could carry.
        numbers = integers_in(re.sub(r"month=[0-9]{4}-[0-9]{2}", "", url))
        assert not numbers & late, f"{url} carries a global id"
        path = urlsplit(url).path
        for pattern, table in NUMBERED_PATHS.items():
            match = re.match(pattern, path)
            if match:
                number = int(match.group(1))
                assert number in rows[table].values(), f"{url}: not a {table} number of the shop"

    emails = _emails(app, "kedai")
    subjects = {message.kind: message.subject for message in emails}
    assert subjects["order_confirmation"] == "Order 1 received"
    assert (
        subjects["ticket_received"] == "[#1] Site down" and subjects["ticket_reply"] == "Re: [#1] Site down"
    )
    assert subjects["team_ticket_new"] == "New ticket #1: Site down"
    to_team = [m.text_body for m in emails if m.kind == "team_correction_request"]
    assert to_team and all("/console/corrections/1" in body for body in to_team)
    for message in emails:
        for text in (message.subject, message.text_body, message.html_body or ""):
            assert not integers_in(text) & late, f"{message.kind} email carries a global id"
    export = raj.get("/account/privacy/export").get_data(as_text=True)
    assert not integers_in(export) & late
