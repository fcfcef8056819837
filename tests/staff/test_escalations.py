"""The escalation screen's queue: one list across shops, filters, paging, live updates, access."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Reseller, StaffRole, Ticket, TicketStatus, utcnow
from storefront.support.escalation import claim, escalate
from storefront.support.tickets import set_status
from tests.shop.helpers import sign_in as customer_sign_in
from tests.staff.escalation_helpers import (
    STAFF,
    open_for,
    post,
    shop_id,
    staff_client,
    staff_id,
)

HTMX = {"HX-Request": "true"}


def _rows(html: str) -> list[str]:
    """Return the ticket links of the queue, top to bottom, as ``#<id>``."""
    return re.findall(r'<span class="queue__id">(#\d+)</span>', html)


def test_one_queue_across_shops_most_urgent_first(app, demo, client_for, make_staff) -> None:
    asked = open_for(app, "acme", "Email bounces", escalated=True)
    late = open_for(app, "bluewave", "DNS not resolving", hours_ago=30)
    later = open_for(app, "kedai", "Cannot log in", hours_ago=60)
    open_for(app, "kedai", "Quiet question")  # within its deadline, not escalated: not on the screen
    page = staff_client(client_for, make_staff).get("/staff/escalations")
    assert page.status_code == 200
    assert _rows(page.text) == [f"#{later}", f"#{late}", f"#{asked}"]
    for text in ("Acme Hosting", "BlueWave Web", "Kedai Hosting", "Email bounces", "Customer asked"):
        assert text in page.text
    assert "Quiet question" not in page.text
    assert page.text.count("not escalated yet") == 2
    assert re.search(r"badge--missed[^>]*>missed 2 d \d+ h<", page.text)  # how long, in red
    for private in ("Nur Aisyah", "aisyah@example.com", "Tan Wei Ming", "raj@example.org"):
        assert private not in page.text  # the queue names no customer
    assert page.headers["Cache-Control"] == "no-store"


def test_a_staff_host_visit_leads_to_the_screen(demo, client_for, make_staff) -> None:
    client = staff_client(client_for, make_staff, role=StaffRole.ADMIN)
    assert client.get("/").headers["Location"] == "/staff/"
    desk = client.get("/staff/").text
    assert 'href="/staff/escalations">Open the escalation screen</a>' in desk
    assert "Escalations" in client.get("/staff/escalations").text


def test_billing_staff_are_refused_and_others_are_sent_to_sign_in(app, demo, client_for, make_staff) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    paths = ("/staff/escalations", f"/staff/escalations/{ticket_id}", "/staff/escalations/triage")
    for path in paths:
        assert client_for(STAFF).get(path).headers["Location"].startswith("/staff/login")
    billing = staff_client(client_for, make_staff, role=StaffRole.BILLING)
    for path in (*paths, f"/staff/escalations/shops/{shop_id(app, 'acme')}"):
        assert billing.get(path).status_code == 403
    token_page = "/staff/provisioning"
    assert post(billing, f"/staff/escalations/{ticket_id}/claim", page=token_page).status_code == 403
    desk = billing.get("/staff/").text
    assert "Work waiting" in desk and "Escalation queue" not in desk


def test_the_screen_is_not_found_on_a_shop_host(app, demo, client_for) -> None:
    open_for(app, "acme", escalated=True)
    shop = client_for("acme.localhost")
    customer_sign_in(shop, "aisyah@example.com")
    for path in ("/staff/escalations", "/staff/escalations/1", "/staff/escalations/triage"):
        assert shop.get(path).status_code == 404


def test_filters_by_shop_reason_assignee_and_status(app, demo, client_for, make_staff) -> None:
    asked = open_for(app, "acme", "Asked for help", escalated=True)
    late = open_for(app, "bluewave", "Late answer", hours_ago=30)
    mine = open_for(app, "kedai", "Mine to do", escalated=True)
    client = staff_client(client_for, make_staff)
    me = staff_id(app)
    with app.app_context():
        claim(db.session.get(Ticket, mine), me)
        db.session.commit()
    cases = {
        f"shop={shop_id(app, 'bluewave')}": [late],
        "reason=missed": [late],
        "reason=escalated": [asked, mine],
        "assignee=me": [mine],
        f"assignee={me}": [mine],
        "assignee=unassigned": [late, asked],
        "status=open": [late],
        "status=escalated": [asked, mine],
        "status=waiting_on_customer": [],
        "shop=&reason=&assignee=&status=": [late, asked, mine],
    }
    for query, expected in cases.items():
        page = client.get(f"/staff/escalations?{query}")
        assert page.status_code == 200, query
        assert sorted(_rows(page.text)) == sorted(f"#{i}" for i in expected), query


def test_filters_work_as_a_plain_form_and_as_an_htmx_fragment(app, demo, client_for, make_staff) -> None:
    open_for(app, "acme", "Asked for help", escalated=True)
    client = staff_client(client_for, make_staff)
    page = client.get("/staff/escalations").text
    form = re.search(r'<form class="queue-filters"[^>]*>', page).group(0)
    assert 'method="get"' in form and 'hx-get="/staff/escalations"' in form
    assert 'hx-target="#escalation-queue"' in form and 'hx-push-url="true"' in form
    fragment = client.get("/staff/escalations?reason=escalated", headers=HTMX)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="escalation-queue"')
    assert "<html" not in fragment.text and "queue-filters" not in fragment.text
    assert "Asked for help" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("shop=abc", "not a valid shop"),
        ("shop=99999999999999999999", "not a valid shop"),
        ("shop=-1", "not a valid shop"),
        ("shop=999", "no such shop"),
        ("reason=lost", "missed or escalated"),
        ("status=closed", "open, waiting on customer or escalated"),
        ("assignee=someone", "not a valid assignee"),
        ("assignee=999", "not someone who works escalations"),
        ("page=0", "not a valid page number"),
        ("page=9999999999", "not a valid page number"),
    ],
)
def test_bad_filters_get_a_clear_message(demo, client_for, make_staff, query: str, message: str) -> None:
    client = staff_client(client_for, make_staff)
    page = client.get(f"/staff/escalations?{query}")
    assert page.status_code == 400 and message in page.text
    fragment = client.get(f"/staff/escalations?{query}", headers=HTMX)
    assert fragment.status_code == 200 and message in fragment.text  # htmx swaps the message in
    assert 'id="escalation-queue"' in fragment.text and "every 10s" not in fragment.text


def test_a_billing_staff_member_is_not_an_assignee_filter(app, demo, client_for, make_staff) -> None:
    client = staff_client(client_for, make_staff)
    make_staff(email="books@platform.test", role=StaffRole.BILLING)
    page = client.get(f"/staff/escalations?assignee={staff_id(app, 'books@platform.test')}")
    assert page.status_code == 400


def _poll_url(html: str) -> str:
    section = re.search(r'<section id="escalation-queue"[^>]*>', html).group(0)
    assert 'hx-trigger="every 10s"' in section and 'hx-swap="outerHTML"' in section
    return re.search(r'hx-get="([^"]+)"', section).group(1).replace("&amp;", "&")


def test_the_queue_polls_and_an_unchanged_queue_answers_204(app, demo, client_for, make_staff) -> None:
    open_for(app, "acme", "First problem", escalated=True)
    client = staff_client(client_for, make_staff)
    poll = _poll_url(client.get("/staff/escalations").text)
    assert "since=" in poll
    unchanged = client.get(poll, headers=HTMX)
    assert unchanged.status_code == 204 and unchanged.get_data() == b""
    new = open_for(app, "kedai", "Brand new escalation", escalated=True)
    changed = client.get(poll, headers=HTMX)
    assert changed.status_code == 200
    assert "Brand new escalation" in changed.text and f"#{new}" in changed.text
    next_poll = _poll_url(changed.text)
    assert next_poll != poll
    assert client.get(next_poll, headers=HTMX).status_code == 204


def test_the_poll_notices_claims_resolutions_and_deadlines(app, demo, client_for, make_staff) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    client = staff_client(client_for, make_staff)

    def fresh_poll() -> str:
        return _poll_url(client.get("/staff/escalations", headers=HTMX).text)

    poll = fresh_poll()
    with app.app_context():
        claim(db.session.get(Ticket, ticket_id), staff_id(app))
        db.session.commit()
    assert client.get(poll, headers=HTMX).status_code == 200
    poll = fresh_poll()
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        set_status(db.session.get(Reseller, ticket.reseller_id), ticket, TicketStatus.RESOLVED)
        db.session.commit()
    assert client.get(poll, headers=HTMX).status_code == 200
    poll = fresh_poll()
    late = open_for(app, "bluewave", "Slipped past its deadline", hours_ago=30)
    assert f"#{late}" in client.get(poll, headers=HTMX).text


def test_the_poll_keeps_its_filters_and_page(app, demo, client_for, make_staff) -> None:
    open_for(app, "acme", escalated=True)
    client = staff_client(client_for, make_staff)
    acme = shop_id(app, "acme")
    poll = _poll_url(client.get(f"/staff/escalations?shop={acme}&reason=escalated").text)
    assert f"shop={acme}" in poll and "reason=escalated" in poll and "page=1" in poll
    open_for(app, "kedai", "Another shop", escalated=True)
    # A change anywhere may refresh the fragment, but the filtered list stays filtered.
    answer = client.get(poll, headers=HTMX)
    assert answer.status_code in (200, 204) and "Another shop" not in answer.text


def test_a_full_page_request_ignores_the_fingerprint(app, demo, client_for, make_staff) -> None:
    open_for(app, "acme", escalated=True)
    client = staff_client(client_for, make_staff)
    poll = _poll_url(client.get("/staff/escalations").text)
    assert client.get(poll).status_code == 200  # no HX-Request: a browser gets the page


def test_fifty_a_page(app, demo, client_for, make_staff) -> None:
    with app.app_context():
        acme = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        from storefront.support.tickets import open_ticket

        for number in range(53):
            ticket = open_ticket(acme, f"Problem {number}", "Help", guest_email=f"g{number}@example.com")
            escalate(acme, ticket, "customer", "asked", now=utcnow())
        db.session.commit()
    client = staff_client(client_for, make_staff)
    first = client.get("/staff/escalations")
    assert len(_rows(first.text)) == 50 and "page 1 of 2" in first.text
    assert 'rel="next"' in first.text and "page=2" in first.text
    second = client.get("/staff/escalations?page=2")
    assert len(_rows(second.text)) == 3
    assert not set(_rows(first.text)) & set(_rows(second.text))
    assert len(_rows(client.get("/staff/escalations?page=40").text)) == 3  # past the end: the last page


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    '<a hx-get="/staff/logout" hx-trigger="load">x</a>',
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_subjects_show_as_text_on_the_queue(app, demo, client_for, make_staff, hostile: str) -> None:
    open_for(app, "acme", f"Help {hostile}", escalated=True)
    page = staff_client(client_for, make_staff).get("/staff/escalations").text
    assert f"Help {escape(hostile)}" in page  # as text: {{7*7}} stays {{7*7}}, tags are escaped
    if "<" in hostile:
        assert hostile not in page
    assert re.search(
        r'<td class="queue__subject" hx-disable>\s*<a [^>]*><span class="queue__id">#\d+</span> Help', page
    )


def test_a_poll_after_the_session_ended_moves_the_page_to_sign_in(demo, client_for) -> None:
    response = client_for("staff.localhost").get("/staff/escalations", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.data == b""
    assert response.headers["HX-Redirect"].startswith("/staff/login")
