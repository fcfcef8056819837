"""A ticket on the escalation screen: the audited view, staff actions, and what the customer sees."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import (
    Author,
    Escalation,
    OutboxMessage,
    Reseller,
    StaffRole,
    Ticket,
    TicketMessage,
    TicketStatus,
    TicketTier,
    utcnow,
)
from storefront.support.tickets import add_note, add_team_reply
from tests.leakguard import find_leaks, response_texts
from tests.shop.helpers import sign_in as customer_sign_in
from tests.staff.escalation_helpers import (
    audit_entries,
    open_for,
    post,
    staff_client,
    staff_id,
    ticket,
)
from tests.steps import number_of


def _counts(app) -> tuple[int, int, int]:
    """Return how many messages, escalations and queued emails exist."""
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (TicketMessage, Escalation, OutboxMessage)
        )


def test_the_ticket_view_shows_thread_customer_persona_and_deadline(
    app, demo, client_for, make_staff
) -> None:
    ticket_id = open_for(app, "acme", "Mail stopped", "Nothing arrives since Monday.", escalated=True)
    with app.app_context():
        found = db.session.get(Ticket, ticket_id)
        add_note(found, "Team: we think it is the MX record.", team_member_id=None)
        db.session.commit()
    client = staff_client(client_for, make_staff)
    page = client.get(f"/staff/escalations/{ticket_id}")
    assert page.status_code == 200
    for text in ("Mail stopped", "Nothing arrives since Monday.", "Nur Aisyah", "aisyah@example.com"):
        assert text in page.text
    assert "Acme Escalations Team" in page.text  # the persona staff answer as
    assert "Team: we think it is the MX record." in page.text and "internal note" in page.text
    assert "reply due" in page.text and "UTC" in page.text
    assert "Customer asked" in page.text and "Nobody answers" in page.text  # the escalation history
    assert "Tickets opened" in page.text  # the shop's compact record
    assert page.headers["Cache-Control"] == "no-store"


def test_every_view_is_audited(app, demo, client_for, make_staff) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    client = staff_client(client_for, make_staff)
    client.get(f"/staff/escalations/{ticket_id}")
    client.get(f"/staff/escalations/{ticket_id}")
    me = staff_id(app)
    acme = ticket(app, ticket_id).reseller_id
    expected = (f"staff:{me}", "support", "view", "escalated ticket", acme)
    assert audit_entries(app, f"ticket:{ticket_id}") == [expected, expected]


@pytest.mark.parametrize("hours_ago", [0, 30])
def test_tickets_off_the_screen_are_not_found(app, demo, client_for, make_staff, hours_ago: int) -> None:
    quiet = open_for(app, "kedai", "Not escalated", hours_ago=hours_ago)
    if hours_ago:  # late, but the shop has answered since: off the screen again
        with app.app_context():
            found = db.session.get(Ticket, quiet)
            reseller = db.session.get(Reseller, found.reseller_id)
            from storefront.models import TeamMember

            member = db.session.scalar(select(TeamMember).where(TeamMember.reseller_id == reseller.id))
            add_team_reply(reseller, found, member, "On it.")
            db.session.commit()
    client = staff_client(client_for, make_staff)
    for path in (f"/staff/escalations/{quiet}", "/staff/escalations/999", "/staff/escalations/99999999999"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Raj Kumar" not in response.text and "raj@example.org" not in response.text
    for action in ("claim", "note", "reply", "resolve", "hand-back", "assign"):
        refused = post(client, f"/staff/escalations/{quiet}/{action}", {"body": "x", "note": "x"})
        assert refused.status_code == 404
    assert audit_entries(app, f"ticket:{quiet}") == []


def test_claim_and_assign(app, demo, client_for, make_staff) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    client = staff_client(client_for, make_staff)
    make_staff(email="lee@platform.test", role=StaffRole.ADMIN)
    me, lee = staff_id(app), staff_id(app, "lee@platform.test")
    claimed = post(client, f"/staff/escalations/{ticket_id}/claim")
    assert claimed.status_code == 303 and claimed.headers["Location"] == f"/staff/escalations/{ticket_id}"
    assert ticket(app, ticket_id).assignee_staff_id == me
    assert "is yours" in client.get(f"/staff/escalations/{ticket_id}").text
    assert post(client, f"/staff/escalations/{ticket_id}/assign", {"assignee": str(lee)}).status_code == 303
    assert ticket(app, ticket_id).assignee_staff_id == lee
    assert post(client, f"/staff/escalations/{ticket_id}/assign", {"assignee": ""}).status_code == 303
    assert ticket(app, ticket_id).assignee_staff_id is None
    actions = [entry[2] for entry in audit_entries(app, f"ticket:{ticket_id}")]
    assert actions.count("claim") == 1 and actions.count("assign") == 2


@pytest.mark.parametrize("assignee", ["999", "abc", "-1", "99999999999999999999", "billing", "inactive"])
def test_unknown_assignees_are_refused(app, demo, client_for, make_staff, assignee: str) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    client = staff_client(client_for, make_staff)
    make_staff(email="books@platform.test", role=StaffRole.BILLING)
    make_staff(email="gone@platform.test", role=StaffRole.SUPPORT, active=False)
    named = {"billing": "books@platform.test", "inactive": "gone@platform.test"}
    value = str(staff_id(app, named[assignee])) if assignee in named else assignee
    refused = post(client, f"/staff/escalations/{ticket_id}/assign", {"assignee": value})
    assert refused.status_code == 400
    assert "Choose someone from the list of support engineers." in refused.text
    assert ticket(app, ticket_id).assignee_staff_id is None
    assert "assign" not in [entry[2] for entry in audit_entries(app, f"ticket:{ticket_id}")]


def test_a_reply_to_a_late_ticket_records_its_escalation_and_reaches_the_customer_as_the_persona(
    app, demo, client_for, make_staff
) -> None:
    ticket_id = open_for(app, "acme", "Website down", hours_ago=30)
    client = staff_client(client_for, make_staff)
    sent = post(client, f"/staff/escalations/{ticket_id}/reply", {"body": "We restarted your site."})
    assert sent.status_code == 303
    after = ticket(app, ticket_id)
    assert after.tier == TicketTier.PLATFORM and after.reply_due_at is None
    assert after.assignee_staff_id == staff_id(app)  # replying to an unassigned ticket takes it
    with app.app_context():
        escalation = db.session.scalar(select(Escalation).where(Escalation.ticket_id == ticket_id))
        assert (escalation.reason, escalation.by) == ("deadline_missed", "deadline")
        reply = db.session.scalar(
            select(TicketMessage).where(
                TicketMessage.ticket_id == ticket_id, TicketMessage.author == Author.STAFF
            )
        )
        assert reply.staff_id == staff_id(app) and not reply.internal
        email = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "ticket_reply"))
    assert email.to_address == "aisyah@example.com"
    assert "Acme Hosting" in email.from_address and "acme-hosting.test" in email.from_address
    assert "Acme Escalations Team" in email.text_body and "We restarted your site." in email.text_body
    assert "Ops Person" not in email.text_body + (email.html_body or "")
    assert not find_leaks(app.config, email.from_address, email.reply_to, email.text_body, email.html_body)
    customer = client_for("acme.localhost")
    customer_sign_in(customer, "aisyah@example.com")
    thread = customer.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}")
    assert "We restarted your site." in thread.text and "Acme Escalations Team" in thread.text
    assert "Ops Person" not in thread.text and "ops@platform.test" not in thread.text
    assert not find_leaks(app.config, *response_texts(thread))
    actions = [entry[2] for entry in audit_entries(app, f"ticket:{ticket_id}")]
    assert "reply" in actions


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 20_001])
def test_a_bad_reply_writes_nothing(app, demo, client_for, make_staff, body: str) -> None:
    ticket_id = open_for(app, "acme", hours_ago=30)  # a reply would escalate it first
    client = staff_client(client_for, make_staff)
    before = _counts(app)
    refused = post(client, f"/staff/escalations/{ticket_id}/reply", {"body": body})
    assert refused.status_code == 400
    assert "Please write a reply." in refused.text or "too long" in refused.text
    assert _counts(app) == before
    after = ticket(app, ticket_id)
    assert after.tier == TicketTier.RESELLER and after.assignee_staff_id is None


def test_a_draft_survives_a_refused_action(app, demo, client_for, make_staff) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    client = staff_client(client_for, make_staff)
    refused = post(client, f"/staff/escalations/{ticket_id}/hand-back", {"handback": " ", "body": "My draft"})
    assert refused.status_code == 400 and escape("Write a note for the shop's team") in refused.text
    assert ">My draft</textarea>" in refused.text


def test_internal_notes_never_reach_the_customer(app, demo, client_for, make_staff) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    client = staff_client(client_for, make_staff)
    before = _counts(app)
    done = post(client, f"/staff/escalations/{ticket_id}/note", {"note": "Checked the mail server logs."})
    assert done.status_code == 303
    messages, escalations, emails = _counts(app)
    assert (messages, escalations, emails) == (before[0] + 1, before[1], before[2])  # no email
    staff_page = client.get(f"/staff/escalations/{ticket_id}").text
    assert "Checked the mail server logs." in staff_page and "internal note · staff" in staff_page
    customer = client_for("acme.localhost")
    customer_sign_in(customer, "aisyah@example.com")
    seen = customer.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}")
    assert seen.status_code == 200 and "Checked the mail server logs." not in seen.text
    assert post(client, f"/staff/escalations/{ticket_id}/note", {"note": ""}).status_code == 400
    assert "note" in [entry[2] for entry in audit_entries(app, f"ticket:{ticket_id}")]


def test_resolving_takes_the_ticket_off_the_queue_and_tells_the_customer(
    app, demo, client_for, make_staff
) -> None:
    ticket_id = open_for(app, "bluewave", "Renewal question", escalated=True)
    client = staff_client(client_for, make_staff)
    done = post(client, f"/staff/escalations/{ticket_id}/resolve")
    assert done.status_code == 303 and done.headers["Location"] == "/staff/escalations"
    assert ticket(app, ticket_id).status == TicketStatus.RESOLVED
    assert "Renewal question" not in client.get("/staff/escalations").text
    assert client.get(f"/staff/escalations/{ticket_id}").status_code == 404
    with app.app_context():
        kinds = db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.to_address == "weiming@example.net")
        )
        assert "ticket_status" in list(kinds)


def test_resolving_a_late_ticket_records_the_escalation_first(app, demo, client_for, make_staff) -> None:
    ticket_id = open_for(app, "kedai", hours_ago=30)
    client = staff_client(client_for, make_staff)
    assert post(client, f"/staff/escalations/{ticket_id}/resolve").status_code == 303
    after = ticket(app, ticket_id)
    assert (after.tier, after.status) == (TicketTier.PLATFORM, TicketStatus.RESOLVED)
    with app.app_context():
        reasons = db.session.scalars(select(Escalation.reason).where(Escalation.ticket_id == ticket_id))
        assert list(reasons) == ["deadline_missed"]


def test_handing_back_returns_the_ticket_to_the_shop_with_a_fresh_deadline(
    app, demo, client_for, make_staff
) -> None:
    ticket_id = open_for(app, "acme", "Needs a shop decision", hours_ago=30, escalated=True)
    client = staff_client(client_for, make_staff)
    post(client, f"/staff/escalations/{ticket_id}/claim")
    refused = post(client, f"/staff/escalations/{ticket_id}/hand-back", {"handback": ""})
    assert refused.status_code == 400 and ticket(app, ticket_id).tier == TicketTier.PLATFORM
    done = post(
        client, f"/staff/escalations/{ticket_id}/hand-back", {"handback": "Refund is the shop's call."}
    )
    assert done.status_code == 303 and done.headers["Location"] == "/staff/escalations"
    after = ticket(app, ticket_id)
    assert (after.tier, after.status, after.assignee_staff_id) == (
        TicketTier.RESELLER,
        TicketStatus.OPEN,
        None,
    )
    assert after.reply_due_at > utcnow()  # the shop's own deadline starts again
    assert "Needs a shop decision" not in client.get("/staff/escalations").text
    with app.app_context():
        back = db.session.scalar(
            select(Escalation).where(Escalation.ticket_id == ticket_id, Escalation.reason == "handed_back")
        )
        assert back.note == "Refund is the shop's call." and back.by == f"staff:{staff_id(app)}"
        note = db.session.scalar(
            select(TicketMessage).where(
                TicketMessage.ticket_id == ticket_id, TicketMessage.internal.is_(True)
            )
        )
        assert "Refund is the shop's call." in note.body
    customer = client_for("acme.localhost")
    customer_sign_in(customer, "aisyah@example.com")
    seen = customer.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}")
    assert seen.status_code == 200 and "Refund is the shop's call." not in seen.text
    assert "hand_back" in [entry[2] for entry in audit_entries(app, f"ticket:{ticket_id}")]


def test_actions_need_a_csrf_token(app, demo, client_for, make_staff) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    client = staff_client(client_for, make_staff)
    before = _counts(app)
    for action, data in (("claim", {}), ("reply", {"body": "Hi"}), ("resolve", {}), ("note", {"note": "n"})):
        assert client.post(f"/staff/escalations/{ticket_id}/{action}", data=data).status_code == 400
    assert _counts(app) == before
    after = ticket(app, ticket_id)
    assert after.assignee_staff_id is None and after.status == TicketStatus.ESCALATED


def test_extra_fields_are_ignored(app, demo, client_for, make_staff) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    other = open_for(app, "kedai", escalated=True)
    client = staff_client(client_for, make_staff)
    post(
        client,
        f"/staff/escalations/{ticket_id}/note",
        {
            "note": "ok",
            "ticket_id": str(other),
            "reseller_id": "3",
            "internal": "false",
            "author": "customer",
        },
    )
    with app.app_context():
        note = db.session.scalar(select(TicketMessage).where(TicketMessage.internal.is_(True)))
        assert (note.ticket_id, note.author, note.reseller_id) == (
            ticket_id,
            Author.STAFF,
            ticket(app, ticket_id).reseller_id,
        )


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    '<div hx-get="/staff/logout" hx-trigger="load">x</div>',
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_content_shows_as_text_on_the_ticket_view(
    app, demo, client_for, make_staff, hostile: str
) -> None:
    ticket_id = open_for(app, "acme", f"S {hostile}", f"B {hostile}", escalated=True)
    client = staff_client(client_for, make_staff)
    post(client, f"/staff/escalations/{ticket_id}/note", {"note": f"N {hostile}"})
    page = client.get(f"/staff/escalations/{ticket_id}").text
    for prefix in ("S", "B", "N"):
        assert f"{prefix} {escape(hostile)}" in page
    if "<" in hostile:
        assert hostile not in page
    assert re.search(r"<h1 hx-disable>.*S ", page)
    assert re.search(r'<div class="thread__body" hx-disable>B ', page)
