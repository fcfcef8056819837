"""The customer's tickets: open, follow, reply, close, reopen, escalate; deadlines from timestamps."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import Escalation, OutboxMessage, Ticket, utcnow
from tests.leakguard import find_leaks
from tests.shop.helpers import csrf_from, outbox, sign_in
from tests.steps import load_ticket, make_ticket, number_of

ACME = "acme.localhost"
HOSTILE = (
    '<script>alert(1)</script> "><img src=x onerror=alert(2)> {{7*7}} <a hx-get="/x" hx-trigger="load">x</a>'
)


@pytest.fixture
def aisyah(demo, client_for):
    client = client_for(ACME)
    sign_in(client, "aisyah@example.com")
    return client


def _open(client, subject="Site down", body="My site shows an error."):
    token = csrf_from(client.get("/account/tickets/new").text)
    return client.post("/account/tickets/new", data={"subject": subject, "body": body, "csrf_token": token})


def test_open_follow_reply_close_and_reopen(app, aisyah) -> None:
    opened = _open(aisyah)
    assert opened.status_code == 303
    path = opened.headers["Location"]
    page = aisyah.get(path).text
    assert "Site down" in page and "My site shows an error." in page and "We aim to answer by" in page
    token = csrf_from(page)
    aisyah.post(f"{path}/reply", data={"body": "Still down.", "csrf_token": token})
    assert "Still down." in aisyah.get(path).text
    aisyah.post(f"{path}/close", data={"csrf_token": token})
    assert "Closed" in aisyah.get(path).text
    aisyah.post(f"{path}/reopen", data={"csrf_token": token})
    assert "Open" in aisyah.get(path).text and "We aim to answer by" in aisyah.get(path).text
    assert "Site down" in aisyah.get("/account/tickets").text


def test_opening_tells_the_customer_and_the_team(app, aisyah) -> None:
    _open(aisyah)
    kinds = {(m.kind, m.to_address) for m in outbox(app)}
    assert ("ticket_received", "aisyah@example.com") in kinds
    assert ("team_ticket_new", "owner@acme-hosting.test") in kinds
    [ack] = outbox(app, kind="ticket_received")
    assert ack.reply_to.startswith("support+") and ack.reply_to.endswith("@acme-hosting.test")
    with app.app_context():
        token = db.session.scalar(select(Ticket.reply_token))
    assert token in ack.reply_to and len(token) >= 24


@pytest.mark.parametrize(
    ("subject", "body", "message"),
    [
        ("", "body", "Please write a subject."),
        ("Subject", "", "Please write a message."),
        ("x" * 201, "body", "The subject is too long"),
        ("Subject", "x" * 20001, "The message is too long"),
    ],
)
def test_bad_ticket_input_is_refused_and_saves_nothing(app, aisyah, subject, body, message) -> None:
    response = _open(aisyah, subject, body)
    assert response.status_code == 400 and message in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_deadline_comes_from_the_shops_targets(app, demo) -> None:
    start = utcnow() - timedelta(hours=10)
    ticket_id = make_ticket(app, now=start)  # Acme: first response 4 h, follow-up 24 h
    ticket = load_ticket(app, ticket_id)
    assert ticket.reply_due_at == start + timedelta(hours=4)
    assert ticket.deadline_missed(utcnow())
    assert not ticket.deadline_missed(start + timedelta(hours=3))


def test_a_missed_deadline_offers_escalation_prominently(app, aisyah) -> None:
    ticket_id = make_ticket(app, now=utcnow() - timedelta(hours=5))
    page = aisyah.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}").text
    assert "We are late answering you" in page and "escalate--prominent" in page
    fresh = make_ticket(app)
    assert (
        "We are late answering you"
        not in aisyah.get(f"/account/tickets/{number_of(app, Ticket, fresh)}").text
    )


def test_the_customer_escalates_with_a_reason(app, aisyah) -> None:
    ticket_id = make_ticket(app)
    token = csrf_from(aisyah.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}").text)
    empty = aisyah.post(
        f"/account/tickets/{number_of(app, Ticket, ticket_id)}/escalate",
        data={"reason": " ", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Please tell us why" in empty.text
    aisyah.post(
        f"/account/tickets/{number_of(app, Ticket, ticket_id)}/escalate",
        data={"reason": "No reply for days", "csrf_token": token},
    )
    ticket = load_ticket(app, ticket_id)
    assert (ticket.tier.value, ticket.status.value) == ("platform", "escalated")
    with app.app_context():
        record = db.session.scalar(select(Escalation))
        assert (record.reason, record.note, record.by.startswith("customer:")) == (
            "asked",
            "No reply for days",
            True,
        )
    assert "Acme Escalations Team" in aisyah.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}").text
    assert any(m.kind == "team_escalated" for m in outbox(app))


def test_another_customers_or_shops_ticket_is_not_found(app, demo, client_for) -> None:
    make_ticket(app, "kedai", "raj@example.org")
    theirs = number_of(app, Ticket, make_ticket(app, "kedai", "raj@example.org"))  # Kedai's ticket 2
    mine_elsewhere = number_of(app, Ticket, make_ticket(app))  # Aisyah's at Acme: Acme's ticket 1
    assert (theirs, mine_elsewhere) == (2, 1)
    other = client_for("acme.localhost")
    sign_in(other, "aisyah@example.com")
    for path in (
        f"/account/tickets/{theirs}",
        f"/account/tickets/{theirs}/reply",
        "/account/tickets/99999999999",
    ):
        response = (
            other.get(path)
            if "reply" not in path
            else other.post(
                path, data={"body": "x", "csrf_token": csrf_from(other.get("/account/tickets").text)}
            )
        )
        assert response.status_code == 404
    kedai = client_for("kedai.localhost")
    sign_in(kedai, "raj@example.org")
    mine = kedai.get(f"/account/tickets/{mine_elsewhere}")  # Kedai's own ticket 1: Raj's, never Aisyah's
    assert mine.status_code == 200 and "My site shows an error." in mine.text
    assert "Nur Aisyah" not in mine.text


def test_hostile_text_is_shown_as_text(app, aisyah) -> None:
    ticket_id = make_ticket(app, subject=HOSTILE[:200], body=HOSTILE)
    page = aisyah.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}").text
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    main = page.split("<main", 1)[1]
    assert "&lt;script&gt;" in page and "{{7*7}}" in page
    assert not re.search(r"(?<![\w:.-])49(?![\w:.-])", re.sub(r'value="[^"]*"', "", main))  # tokens aside
    assert '<a hx-get="/x"' not in page
    with app.app_context():
        for message in db.session.scalars(select(OutboxMessage)):
            assert "<script>alert(1)</script>" not in (message.html_body or "")


def test_internal_notes_never_reach_the_customer(app, aisyah) -> None:
    from storefront.support.tickets import add_note

    ticket_id = make_ticket(app)
    with app.app_context():
        add_note(db.session.get(Ticket, ticket_id), "Customer is difficult, careful", team_member_id=None)
        db.session.commit()
    page = aisyah.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}").text
    assert "Customer is difficult" not in page and not find_leaks(app.config, page)
