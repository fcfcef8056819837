"""A shop's support record, the triage list, and no customer lists anywhere on the staff host."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

import pytest
from markupsafe import escape

from storefront.extensions import db
from storefront.models import (
    Escalation,
    InboundEmail,
    InboundOutcome,
    Reseller,
    StaffRole,
    Ticket,
    utcnow,
)
from storefront.support.escalation_screen import duration, readable_body, shop_record
from storefront.support.tickets import open_ticket
from tests.staff.escalation_helpers import audit_entries, open_for, shop_id, staff_client, staff_id
from tests.staff.test_breaches import breach_reaching


def _ticket_at(shop: Reseller, days_ago: float, answered_after_hours: float | None) -> Ticket:
    opened = utcnow() - timedelta(days=days_ago)
    ticket = open_ticket(shop, "Question", "Hello", guest_email="guest@example.com", now=opened)
    if answered_after_hours is not None:
        ticket.first_response_at = opened + timedelta(hours=answered_after_hours)
        ticket.awaiting_reply_since = ticket.reply_due_at = None
    return ticket


def _escalation(shop: Reseller, ticket: Ticket, reason: str, days_ago: float) -> None:
    created = utcnow() - timedelta(days=days_ago)
    db.session.add(
        Escalation(reseller_id=shop.id, ticket_id=ticket.id, by="customer", reason=reason, created_at=created)
    )


@pytest.fixture
def shop_with_history(app, make_reseller) -> int:
    """A shop with tickets and escalations inside and outside the last 30 days; return its id."""
    shop_id_ = make_reseller("north", first_response_hours=8)
    with app.app_context():
        shop = db.session.get(Reseller, shop_id_)
        answered = [_ticket_at(shop, days, hours) for days, hours in ((10, 2), (5, 4), (3, 9))]
        old = _ticket_at(shop, 40, 1)
        late = _ticket_at(shop, 1.5, None)  # 36 hours with no answer: past its 8-hour target
        _escalation(shop, late, "deadline_missed", 1)
        _escalation(shop, answered[0], "asked", 9)
        _escalation(shop, answered[1], "asked", 4)
        _escalation(shop, old, "asked", 39)
        db.session.commit()
    return shop_id_


def test_a_shops_record_is_computed_from_timestamps(app, shop_with_history: int) -> None:
    with app.app_context():
        record = shop_record(shop_with_history, utcnow())
    assert record.opened == 4  # the 40-day-old ticket is outside the window
    assert record.waiting_past_deadline == 1
    assert record.escalations == {"asked": 2, "deadline_missed": 1}
    assert record.escalated_for_missed_deadline == 1
    assert record.first_responses == 3
    assert record.median_first_response == timedelta(hours=4)
    assert record.average_first_response == timedelta(hours=5)


def test_the_shop_panel_page(app, demo, client_for, make_staff, shop_with_history: int) -> None:
    client = staff_client(client_for, make_staff)
    page = client.get(f"/staff/escalations/shops/{shop_with_history}")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "North Hosting" in text and "Tickets opened</dt><dd>4</dd>" in text
    assert "Median first response</dt><dd>4 h 0 m</dd>" in text
    assert "Average first response</dt><dd>5 h 0 m</dd>" in text
    assert "Customer asked</td><td>2</td>" in text and "Reply deadline missed</td><td>1</td>" in text
    assert "guest@example.com" not in text
    for missing in ("/staff/escalations/shops/999", "/staff/escalations/shops/99999999999"):
        assert client.get(missing).status_code == 404


def test_the_shop_panel_costs_the_same_queries_however_much_history(
    app, demo, client_for, make_staff, shop_with_history: int, count_queries
) -> None:
    client = staff_client(client_for, make_staff)
    path = f"/staff/escalations/shops/{shop_with_history}"
    client.get(path)
    with count_queries() as before:
        client.get(path)
    with app.app_context():
        shop = db.session.get(Reseller, shop_with_history)
        for number in range(40):
            ticket = _ticket_at(shop, number % 20, number % 7)
            _escalation(shop, ticket, "asked", number % 20)
        db.session.commit()
    with count_queries() as after:
        client.get(path)
    assert len(after) == len(before)


def test_durations_read_well() -> None:
    assert duration(None) == "—"
    assert duration(timedelta(minutes=7, seconds=40)) == "7 m"
    assert duration(timedelta(hours=4, minutes=10)) == "4 h 10 m"
    assert duration(timedelta(days=2, hours=3, minutes=59)) == "2 d 3 h"


def _raw(subject: str, html: str | None = None, text: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "stranger@example.com"
    message["To"] = "support@webserver.com.my"
    message["Subject"] = subject
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    return message.as_bytes()


def _inbound(app, outcome: InboundOutcome, subject: str, raw: bytes, number: int = 1) -> int:
    with app.app_context():
        email = InboundEmail(
            message_id=f"<m{number}@example.com>",
            from_address="stranger@example.com",
            to_address="support@webserver.com.my",
            subject=subject,
            outcome=outcome,
            reason="Sender is not a customer of any shop",
            raw=raw,
        )
        db.session.add(email)
        db.session.commit()
        return email.id


def test_triage_lists_waiting_emails_and_audits_each_detail_view(app, demo, client_for, make_staff) -> None:
    hostile = "<img src=x onerror=alert(1)> {{7*7}}"
    head = "<head><style>p{color:red}</style><script>alert(1)</script></head>"
    html = f"<html>{head}<body><p>Please help {hostile}</p></body></html>"
    waiting = _inbound(app, InboundOutcome.TRIAGE, f"Help {hostile}", _raw("Help", html=html))
    placed = _inbound(app, InboundOutcome.OPENED, "Already placed", _raw("Placed", text="x"), number=2)
    client = staff_client(client_for, make_staff)
    listing = client.get("/staff/escalations/triage")
    assert listing.status_code == 200
    assert "stranger@example.com" in listing.text and "Sender is not a customer" in listing.text
    assert f"Help {escape(hostile)}" in listing.text and hostile not in listing.text
    assert "Already placed" not in listing.text
    assert "open for shop" not in listing.text.lower()  # the action waits for the ingestion service
    detail = client.get(f"/staff/escalations/triage/{waiting}")
    assert detail.status_code == 200
    assert "Please help" in detail.text and escape(hostile) in detail.text
    assert "alert(1)</script>" not in detail.text and "color:red" not in detail.text
    assert detail.headers["Cache-Control"] == "no-store"
    me = staff_id(app)
    assert audit_entries(app, f"inbound:{waiting}") == [
        (f"staff:{me}", "support", "view", "triage email", None)
    ]
    for path in (f"/staff/escalations/triage/{placed}", "/staff/escalations/triage/999"):
        assert client.get(path).status_code == 404
    assert audit_entries(app, f"inbound:{placed}") == []
    assert client.get("/staff/escalations/triage?page=abc").status_code == 400


def test_readable_body_survives_anything() -> None:
    assert readable_body(_raw("x", text="Plain words")) == "Plain words"
    assert readable_body(b"") == ""
    unknown_charset = b"Content-Type: text/plain; charset=no-such-charset\r\n\r\n\xff\xfe"
    assert readable_body(unknown_charset) == "(This message could not be decoded.)"
    assert readable_body(b"\x00\x01garbage\x1b[31m") == "garbage[31m"
    assert len(readable_body(_raw("x", text="y" * 50_000))) == 20_000


def _get_paths(app, values: dict[str, int]) -> list[str]:
    """Return every GET route of the staff console, with ids filled in."""
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff.") or "GET" not in rule.methods:
            continue
        paths.append(rule.build(values, append_unknown=False)[1])
    return paths


def test_no_staff_route_lists_a_shops_customers(app, demo, client_for, make_staff) -> None:
    escalated = open_for(app, "acme", "Escalated one", escalated=True)
    open_for(app, "bluewave", "Not escalated")
    open_for(app, "kedai", "Also quiet")
    inbound = _inbound(app, InboundOutcome.TRIAGE, "Unknown sender", _raw("x", text="Hello"))
    client = staff_client(client_for, make_staff, role=StaffRole.ADMIN)
    breach = breach_reaching(app, "bluewave", "kedai")
    values = {
        "ticket_id": escalated,
        "reseller_id": shop_id(app, "bluewave"),
        "inbound_id": inbound,
        "breach_id": breach,
        "stored_name": "0" * 32,
        "slug": "bluewave",
        "code": "business",
    }
    paths = _get_paths(app, values)
    assert any("/escalations/shops/" in path for path in paths) and "/staff/shops" in paths
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff."):
            assert "customer" not in rule.rule and "export" not in rule.rule
    others = ("Tan Wei Ming", "weiming@example.net", "Raj Kumar", "raj@example.org")
    for path in paths:
        text = client.get(path, follow_redirects=True).text
        for private in others:
            assert private not in text, (path, private)
        if path != f"/staff/escalations/{escalated}":
            assert "aisyah@example.com" not in text and "Nur Aisyah" not in text, path
