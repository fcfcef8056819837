"""Every console form whose text reaches customers or the team refuses the platform in disguise,
keeps the text in the form, and lets ordinary words through."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import (
    CorrectionStatus,
    Escalation,
    PrivacyNotice,
    Reseller,
    TeamInvitation,
    TeamMember,
    Ticket,
    TicketMessage,
)
from tests.console.test_brand import SAVED, _save
from tests.console.test_corrections import _load as load_correction
from tests.console.test_corrections import _post as post_correction
from tests.console.test_corrections import _request as correction_request
from tests.console.test_orders import _pay, ordered  # noqa: F401  (the fixture)
from tests.console.test_privacy_notice import BODY, CHANGES, _publish
from tests.console.test_team import _accept, _invitation_path, _invite
from tests.shop.helpers import csrf_from, outbox, sign_in
from tests.steps import load_ticket, make_ticket, number_of, owner_client

ACME = "acme.localhost"
REFUSAL = "customers must never learn who hosts the shop"


def refused_keeping(response, text: str) -> None:
    """The answer is a 400 that says what to remove and shows the text again for editing."""
    page = unescape(response.text)
    assert response.status_code == 400, response.status_code
    assert REFUSAL in page and text in page


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def acme(app) -> Reseller:
    with app.app_context():
        shop = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        db.session.expunge(shop)
        return shop


def ticket_post(client, ticket_number: int, action: str, **data):
    token = csrf_from(client.get(f"/console/tickets/{ticket_number}").text)
    return client.post(f"/console/tickets/{ticket_number}/{action}", data={**data, "csrf_token": token})


@pytest.mark.parametrize(
    ("action", "field", "disguised", "ordinary"),
    [
        ("reply", "body", "Regards, W\u0435b-Server support", "Our LiteSpeed Web Server restarted."),
        ("note", "body", "ask w e b s e r v e r . c o m . m y", "Our web servers in Cyberjaya are fine."),
        ("escalate", "note", "Call them on +60 3 2770 2833 1", "Needs server access"),
    ],
)
def test_ticket_texts_refuse_the_platform_and_keep_the_text(
    app, demo, client_for, action: str, field: str, disguised: str, ordinary: str
) -> None:
    ticket_id = make_ticket(app)
    team = owner_client(client_for)
    before = count(app, TicketMessage)
    refused_keeping(
        ticket_post(team, number_of(app, Ticket, ticket_id), action, **{field: disguised}), disguised
    )
    assert count(app, TicketMessage) == before and count(app, Escalation) == 0
    assert outbox(app, kind="ticket_reply") == [] and outbox(app, kind="team_escalated") == []
    assert (
        ticket_post(team, number_of(app, Ticket, ticket_id), action, **{field: ordinary}).status_code == 303
    )
    ticket = load_ticket(app, ticket_id)
    if action == "escalate":
        assert ticket.tier.value == "platform" and count(app, Escalation) == 1
    else:
        assert ordinary in [message.body for message in ticket.messages]


def test_a_refused_team_reply_never_reaches_the_customer(app, demo, client_for) -> None:
    ticket_id = make_ticket(app)
    team = owner_client(client_for)
    reply = "Thanks! Ticket handled by \uff37\uff45\uff42\uff33\uff45\uff52\uff56\uff45\uff52"
    refused_keeping(ticket_post(team, number_of(app, Ticket, ticket_id), "reply", body=reply), reply)
    customer = client_for(ACME)
    sign_in(customer, "aisyah@example.com")
    assert (
        "Thanks! Ticket handled"
        not in customer.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}").text
    )


@pytest.mark.parametrize(
    ("field", "disguised", "ordinary"),
    [
        ("brand_name", "\uff37\uff45\uff42\uff33\uff45\uff52\uff56\uff45\uff52 Malaysia", "Acme Cloud"),
        ("tagline", "Powered by Web.Server", "Fast LiteSpeed Web Server hosting"),
        ("support_hours", "9 to 5, after hours ring 03-2770 2833", "Every day 8:00–20:00"),
        ("support_phone", "+60 3 2770 2833 1", "+60 3 8888 0000"),
        ("support_email", "help@w\u0435bserver.com.my", "help@acme-hosting.test"),
        ("support_email", "staff@webserver.com.my", "care@acme-hosting.test"),
    ],
)
def test_brand_fields_refuse_the_platform_and_keep_the_text(
    app, demo, client_for, field: str, disguised: str, ordinary: str
) -> None:
    team = owner_client(client_for)
    response = _save(team, **{field: disguised})
    shown = "help@xn--wbserver-c8g.com.my" if "\u0435" in disguised else disguised  # the address's ASCII form
    refused_keeping(response, shown)
    assert getattr(acme(app), field) == SAVED[field]
    assert _save(team, **{field: ordinary}).status_code == 303
    assert getattr(acme(app), field) == ordinary


def test_the_escalation_persona_refuses_the_platform_and_keeps_the_text(app, demo, client_for) -> None:
    team = owner_client(client_for)

    def save(persona: str):
        token = csrf_from(team.get("/console/settings/support").text)
        data = {"first_response_hours": 4, "follow_up_hours": 8, "escalation_persona": persona}
        return team.post("/console/settings/support", data={**data, "csrf_token": token})

    refused_keeping(save("WEB SERVER SDN. BHD. escalations"), "WEB SERVER SDN. BHD. escalations")
    assert acme(app).escalation_persona == "Acme Escalations Team"
    assert save("Acme Web Server Care").status_code == 303
    assert acme(app).escalation_persona == "Acme Web Server Care"


@pytest.mark.parametrize(
    ("body", "changes"),
    [
        (BODY + "\n\nOur servers are run for us by Web Server Sdn. Bhd.", CHANGES),
        (BODY, "Named W\u0435bS\u0435rv\u0435r as our processor."),
    ],
)
def test_the_privacy_notice_refuses_the_platform_and_keeps_the_text(
    app, demo, client_for, body: str, changes: str
) -> None:
    team = owner_client(client_for)
    before = count(app, PrivacyNotice)
    response = _publish(team, body, changes)
    refused_keeping(response, body.splitlines()[-1] if body != BODY else changes)
    assert count(app, PrivacyNotice) == before
    ordinary = BODY + "\n\nOur web servers are in Cyberjaya."
    assert _publish(team, ordinary, CHANGES).status_code == 303


def test_correction_answers_and_refusal_reasons_refuse_the_platform(app, demo, client_for) -> None:
    correction_number = correction_request(app)
    team = owner_client(client_for)
    path = f"/console/corrections/{correction_number}"
    answer = "Our host keeps this: write to support [at] webserver [dot] com [dot] my"
    refused_keeping(post_correction(team, f"{path}/answer", answer=answer), answer)
    reason = "Our provider, Web Server Sdn Bhd, keeps issued invoices as they are."
    refused_keeping(post_correction(team, f"{path}/close", outcome="refused", answer=reason), reason)
    stored = load_correction(app, correction_number)
    assert stored.status == CorrectionStatus.OPEN and stored.answer == ""
    assert outbox(app, kind="correction_answer") == outbox(app, kind="correction_closed") == []
    fine = "Tax law keeps issued invoices as they are; our web servers keep a copy for seven years."
    assert post_correction(team, f"{path}/close", outcome="refused", answer=fine).status_code == 303


def test_a_bank_reference_refuses_the_platform_and_keeps_the_text(app, ordered, client_for) -> None:  # noqa: F811
    team = owner_client(client_for)
    refused_keeping(_pay(team, ordered, {"reference": "WEBSERVER-0042"}), "WEBSERVER-0042")
    assert outbox(app, kind="payment_receipt") == []
    assert _pay(team, ordered, {"reference": "MBB 2611 0042"}).status_code == 303


def test_team_names_refuse_a_staff_members_full_name(app, demo, client_for, make_staff) -> None:
    make_staff()  # "Ops Person", ops@platform.test
    team = owner_client(client_for)
    refused_keeping(_invite(team, name="OPS-PERSON"), "OPS-PERSON")
    assert count(app, TeamInvitation) == 0
    assert _invite(team, name="Ops Rahman").status_code in (302, 303)
    path = _invitation_path(app)
    newcomer = client_for(ACME)
    refused_keeping(_accept(newcomer, path, name="Ops.Person"), "Ops.Person")
    assert count(app, TeamMember, TeamMember.email == "new@example.com") == 0
    assert _accept(newcomer, path, name="Ops Rahman").status_code in (302, 303)
    assert count(app, TeamMember, TeamMember.email == "new@example.com") == 1
