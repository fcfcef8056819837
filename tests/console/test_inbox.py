"""The shop team's console inbox: sign-in, the queue, replies, notes, status, hand-over."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from storefront.extensions import db
from storefront.models import AuditEntry, Reseller, Ticket, TicketStatus, utcnow
from tests.shop.helpers import csrf_from, outbox, sign_in
from tests.steps import load_ticket, make_ticket, number_of, owner_client, team_sign_in

ACME = "acme.localhost"


def test_team_and_customer_sign_ins_do_not_open_each_others_areas(demo, client_for) -> None:
    customer = client_for(ACME)
    sign_in(customer, "aisyah@example.com")
    assert customer.get("/console/tickets").headers["Location"].startswith("/console/login")
    team = owner_client(client_for)
    assert team.get("/account").headers["Location"].startswith("/login")
    wrong = team_sign_in(client_for(ACME), "aisyah@example.com")
    assert wrong.status_code == 400 and "do not match a team account" in wrong.text
    assert team_sign_in(client_for("kedai.localhost")).status_code == 400  # Acme's owner, Kedai's console
    assert client_for("staff.localhost").get("/console/login").status_code == 404


def test_inbox_lists_late_tickets_first(app, demo, client_for) -> None:
    on_time = make_ticket(app, subject="On time")
    late = make_ticket(app, subject="Late one", now=utcnow() - timedelta(hours=6))
    make_ticket(app, "kedai", "raj@example.org", subject="Kedai only")
    html = owner_client(client_for).get("/console/tickets").text
    assert html.index("Late one") < html.index("On time")
    assert "Kedai only" not in html and "late</span>" in html
    late, on_time = number_of(app, Ticket, late), number_of(app, Ticket, on_time)
    assert f"/console/tickets/{late}" in html and f"/console/tickets/{on_time}" in html


def test_reply_note_and_status(app, demo, client_for) -> None:
    ticket_id = make_ticket(app)
    team = owner_client(client_for)
    page = team.get(f"/console/tickets/{number_of(app, Ticket, ticket_id)}").text
    token = csrf_from(page)
    team.post(
        f"/console/tickets/{number_of(app, Ticket, ticket_id)}/reply",
        data={"body": "We are looking.", "csrf_token": token},
    )
    team.post(
        f"/console/tickets/{number_of(app, Ticket, ticket_id)}/note",
        data={"body": "Server web12 overloaded", "csrf_token": token},
    )
    ticket = load_ticket(app, ticket_id)
    assert ticket.status == TicketStatus.WAITING_ON_CUSTOMER and ticket.reply_due_at is None
    customer = client_for(ACME)
    sign_in(customer, "aisyah@example.com")
    seen = customer.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}").text
    assert "We are looking." in seen and "Farid Hassan" in seen and "web12" not in seen
    [reply_mail] = outbox(app, kind="ticket_reply")
    assert "Farid Hassan replied" in reply_mail.text_body and "web12" not in reply_mail.text_body
    team.post(
        f"/console/tickets/{number_of(app, Ticket, ticket_id)}/status",
        data={"status": "resolved", "csrf_token": token},
    )
    assert load_ticket(app, ticket_id).status == TicketStatus.RESOLVED
    bad = team.post(
        f"/console/tickets/{number_of(app, Ticket, ticket_id)}/status",
        data={"status": "escalated", "csrf_token": token},
        follow_redirects=True,
    )
    assert (
        "escalate to hand it over" in bad.text and load_ticket(app, ticket_id).status == TicketStatus.RESOLVED
    )


def test_hand_over_keeps_read_access_and_stops_replies(app, demo, client_for) -> None:
    ticket_id = make_ticket(app)
    team = owner_client(client_for)
    token = csrf_from(team.get(f"/console/tickets/{number_of(app, Ticket, ticket_id)}").text)
    team.post(
        f"/console/tickets/{number_of(app, Ticket, ticket_id)}/escalate",
        data={"note": "Needs server access", "csrf_token": token},
    )
    ticket = load_ticket(app, ticket_id)
    assert ticket.tier.value == "platform"
    page = team.get(f"/console/tickets/{number_of(app, Ticket, ticket_id)}").text
    assert "My site shows an error." in page and "read only" in page and 'action="/console/tickets/' in page
    refused = team.post(
        f"/console/tickets/{number_of(app, Ticket, ticket_id)}/reply",
        data={"body": "x", "csrf_token": token},
        follow_redirects=True,
    )
    assert "with the escalations team" in refused.text


def test_other_shops_tickets_are_not_found_in_the_console(app, demo, client_for) -> None:
    make_ticket(app, "kedai", "raj@example.org")
    theirs = make_ticket(app, "kedai", "raj@example.org")
    make_ticket(app)  # Acme's ticket 1: Kedai's second ticket is number 2, which Acme has not given
    number = number_of(app, Ticket, theirs)
    assert number == 2
    team = owner_client(client_for)
    token = csrf_from(team.get("/console/tickets").text)
    assert team.get(f"/console/tickets/{number}").status_code == 404
    for action in ("reply", "note", "status", "escalate"):
        response = team.post(
            f"/console/tickets/{number}/{action}",
            data={"body": "x", "note": "x", "status": "closed", "csrf_token": token},
        )
        assert response.status_code == 404
    assert load_ticket(app, theirs).status == TicketStatus.OPEN


def test_every_team_view_is_audited(app, demo, client_for) -> None:
    ticket_id = make_ticket(app)
    owner_client(client_for).get(f"/console/tickets/{number_of(app, Ticket, ticket_id)}")
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry))
        assert (entry.record, entry.action, entry.actor_role) == (f"ticket:{ticket_id}", "view", "owner")
        assert entry.actor.startswith("team:") and entry.request_id


def test_inbox_queries_do_not_grow_with_the_queue(app, demo, client_for, count_queries) -> None:
    team = owner_client(client_for)

    def queries() -> int:
        team.get("/console/tickets")
        with count_queries() as statements:
            assert team.get("/console/tickets").status_code == 200
        return len(statements)

    make_ticket(app)
    few = queries()
    with app.app_context():
        acme = db.session.scalar(select(Reseller.id).where(Reseller.slug == "acme"))
        now = utcnow()
        rows = [
            {
                "reseller_id": acme,
                "guest_email": f"g{i}@example.com",
                "guest_name": f"Guest {i}",
                "subject": f"Bulk {i}",
                "reply_token": f"tok{i:08d}xxxxxxxxxxxxxxxx",
                "status": "open",
                "tier": "reseller",
                "priority": 0,
                "created_at": now,
                "updated_at": now,
                "awaiting_reply_since": now,
                "reply_due_at": now + timedelta(hours=i % 48),
            }
            for i in range(2000)
        ]
        db.session.execute(insert(Ticket), rows)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 2001
    assert queries() == few
    assert "Page 1 of 41" in team.get("/console/tickets").text


def test_owners_set_the_response_targets_new_deadlines_use(app, demo, client_for) -> None:
    team = owner_client(client_for)
    page = team.get("/console/settings/support").text
    token = csrf_from(page)
    bad = team.post(
        "/console/settings/support",
        data={
            "first_response_hours": "0",
            "follow_up_hours": "x",
            "escalation_persona": "",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 400 and "Number must be between 1 and 168." in bad.text
    saved = team.post(
        "/console/settings/support",
        data={
            "first_response_hours": "2",
            "follow_up_hours": "12",
            "escalation_persona": "Acme Care",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 303
    ticket = load_ticket(app, make_ticket(app))
    assert ticket.reply_due_at - ticket.created_at == timedelta(hours=2)


def test_agents_cannot_change_settings(client_for, demo) -> None:
    client = client_for(ACME)
    team_sign_in(client, "agent@acme-hosting.test")
    assert client.get("/console/tickets").status_code == 200
    assert client.get("/console/settings/support").status_code == 403


def test_hostile_text_is_shown_as_text_in_the_console(app, demo, client_for) -> None:
    ticket_id = make_ticket(
        app, subject="<script>alert(1)</script> {{7*7}}", body='"><img src=x onerror=alert(1)>'
    )
    team = owner_client(client_for)
    for path in ("/console/tickets", f"/console/tickets/{number_of(app, Ticket, ticket_id)}"):
        html = team.get(path).text
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html and "{{7*7}}" in html
