"""Edges a review found: deadlines passing mid-poll, bounded ids, audited lists, flat ticket pages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import AuditEntry, Reseller, Ticket, utcnow
from storefront.support.tickets import add_customer_message, add_team_reply
from tests.shop.helpers import csrf_from, sign_in
from tests.staff.escalation_helpers import open_for, staff_client
from tests.staff.test_escalations import HTMX, _poll_url
from tests.steps import load_ticket, make_ticket, number_of, team_sign_in


def test_the_poll_notices_a_deadline_passing(app, demo, client_for, make_staff) -> None:
    ticket_id = open_for(app, "acme", "Slipping", hours_ago=3.99)  # Acme's target: 4 hours
    client = staff_client(client_for, make_staff)
    poll = _poll_url(client.get("/staff/escalations").text)
    assert client.get(poll, headers=HTMX).status_code == 204
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        ticket.reply_due_at = utcnow() - timedelta(seconds=1)  # the clock passes the deadline
        db.session.execute(
            Ticket.__table__.update().where(Ticket.id == ticket_id).values(reply_due_at=ticket.reply_due_at)
        )
        db.session.commit()
    changed = client.get(poll, headers=HTMX)
    assert changed.status_code == 200 and "Slipping" in changed.text


def test_a_huge_shop_id_on_triage_is_not_found(demo, client_for, make_staff) -> None:
    client = staff_client(client_for, make_staff)
    token = csrf_from(client.get("/staff/escalations/triage").text)
    response = client.post(
        "/staff/escalations/triage/1/open", data={"reseller_id": "99999999999999999999", "csrf_token": token}
    )
    assert response.status_code == 404


def test_the_triage_list_is_audited(app, demo, client_for, make_staff) -> None:
    staff_client(client_for, make_staff).get("/staff/escalations/triage")
    with app.app_context():
        assert (
            db.session.scalar(select(AuditEntry.action).where(AuditEntry.record.like("triage:%"))) == "list"
        )


def test_the_team_cannot_set_the_status_of_an_escalated_ticket(app, demo, client_for) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    team = client_for("acme.localhost")
    team_sign_in(team)
    token = csrf_from(team.get("/console/tickets").text)
    team.post(
        f"/console/tickets/{number_of(app, Ticket, ticket_id)}/status",
        data={"status": "closed", "csrf_token": token},
    )
    ticket = load_ticket(app, ticket_id)
    assert (ticket.status.value, ticket.tier.value) == ("escalated", "platform")


def test_a_customer_escalating_an_answered_ticket_is_owed_an_answer(app, demo, client_for) -> None:
    ticket_id = make_ticket(app)
    with app.app_context():
        from storefront.models import TeamMember

        ticket = db.session.get(Ticket, ticket_id)
        reseller = db.session.get(Reseller, ticket.reseller_id)
        owner = db.session.scalar(select(TeamMember).where(TeamMember.reseller_id == reseller.id))
        add_team_reply(reseller, ticket, owner, "Try restarting.")
        db.session.commit()
    customer = client_for("acme.localhost")
    sign_in(customer, "aisyah@example.com")
    token = csrf_from(customer.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}").text)
    customer.post(
        f"/account/tickets/{number_of(app, Ticket, ticket_id)}/escalate",
        data={"reason": "Still down", "csrf_token": token},
    )
    assert load_ticket(app, ticket_id).reply_due_at is not None


def test_ticket_pages_cost_the_same_queries_however_long_the_thread(
    app, demo, client_for, make_staff, count_queries
) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    staff = staff_client(client_for, make_staff)
    team = client_for("acme.localhost")
    team_sign_in(team)
    customer = client_for("acme.localhost")
    sign_in(customer, "aisyah@example.com")
    pages = [
        (staff, f"/staff/escalations/{ticket_id}"),
        (team, f"/console/tickets/{number_of(app, Ticket, ticket_id)}"),
        (customer, f"/account/tickets/{number_of(app, Ticket, ticket_id)}"),
    ]

    def counts() -> list[int]:
        result = []
        for client, path in pages:
            client.get(path)
            with count_queries() as statements:
                assert client.get(path).status_code == 200
            result.append(len(statements))
        return result

    short = counts()
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        reseller = db.session.get(Reseller, ticket.reseller_id)
        for index in range(30):
            add_customer_message(reseller, ticket, f"More detail {index}")
        db.session.commit()
    assert counts() == short
