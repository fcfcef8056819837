"""Every staff form whose text reaches a shop's customers or team refuses the platform and its staff
in disguise, keeps the text in the form, and lets ordinary words through."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import (
    Breach,
    Disclosure,
    Escalation,
    Invoice,
    OutboxMessage,
    Service,
    StaffRole,
    Ticket,
    TicketMessage,
    TicketTier,
)
from tests.shop.helpers import csrf_from
from tests.shop.helpers import sign_in as customer_sign_in
from tests.staff.escalation_helpers import open_for, post, staff_client, ticket
from tests.staff.test_breaches import NEW as NEW_BREACH
from tests.staff.test_breaches import breach_form
from tests.staff.test_disclosures import NEW as NEW_DISCLOSURE
from tests.staff.test_disclosures import form as disclosure_form
from tests.staff.test_provisioning import _order
from tests.steps import number_of

REFUSAL = "customers must never learn who hosts the shop"
FINDING_REPLY = "Regards, Staffer, WebServer Sdn Bhd, +603 2770 2833, support@webserver.com.my"


def refused_keeping(response, text: str) -> None:
    """The answer is a 400 that says what to remove and shows the text again for editing."""
    page = unescape(response.text)
    assert response.status_code == 400, response.status_code
    assert REFUSAL in page and text in page


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_the_findings_staff_reply_is_refused_and_never_reaches_the_customer(
    app, demo, client_for, make_staff
):
    ticket_id = open_for(app, "acme", escalated=True)
    staff = staff_client(client_for, make_staff)
    path = f"/staff/escalations/{ticket_id}"
    before = (count(app, TicketMessage), count(app, OutboxMessage))
    response = post(staff, f"{path}/reply", {"body": FINDING_REPLY}, page=path)
    refused_keeping(response, FINDING_REPLY)
    page = unescape(response.text)
    assert "the platform's name, company name, web or email address and phone number" in page
    assert (count(app, TicketMessage), count(app, OutboxMessage)) == before
    customer = client_for("acme.localhost")
    customer_sign_in(customer, "aisyah@example.com")
    assert (
        "Regards, Staffer" not in customer.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}").text
    )
    ordinary = "We restarted the LiteSpeed Web Server; our web servers in Cyberjaya are fine. Regards, Ops"
    assert post(staff, f"{path}/reply", {"body": ordinary}, page=path).status_code == 303
    assert ordinary in customer.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}").text


@pytest.mark.parametrize(
    ("action", "field", "disguised", "ordinary"),
    [
        ("reply", "body", "Write to ops at platform dot test", "Write to us by replying here."),
        ("note", "note", "Call me on +60 3 2770 2833 1", "Customer's DNS points elsewhere."),
        ("note", "note", "Handled by OPS PERSON", "Handled by Ops"),
        ("hand-back", "handback", "Ask W\u0435bS\u0435rv\u0435r billing", "Billing question for the shop."),
    ],
)
def test_staff_ticket_texts_refuse_the_platform_and_staff_and_keep_the_text(
    app, demo, client_for, make_staff, action: str, field: str, disguised: str, ordinary: str
) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    staff = staff_client(client_for, make_staff)  # "Ops Person", ops@platform.test
    path = f"/staff/escalations/{ticket_id}"
    before = (count(app, TicketMessage), count(app, Escalation))
    refused_keeping(post(staff, f"{path}/{action}", {field: disguised}, page=path), disguised)
    assert (count(app, TicketMessage), count(app, Escalation)) == before
    assert ticket(app, ticket_id).tier == TicketTier.PLATFORM
    assert post(staff, f"{path}/{action}", {field: ordinary}, page=path).status_code == 303
    assert count(app, TicketMessage) == before[0] + 1


@pytest.fixture
def admin(demo, client_for, make_staff):
    return staff_client(client_for, make_staff, StaffRole.ADMIN)


@pytest.mark.parametrize(
    ("field", "disguised"),
    [
        ("scope", "Our host, Web-Server, was attacked."),
        ("data_categories", "Logins at w e b s e r v e r . c o m . m y"),
        ("measures", "Ring \uff10\uff13\uff0d\uff12\uff17\uff17\uff10 \uff12\uff18\uff13\uff13 for help."),
    ],
)
def test_breach_notices_refuse_the_platform_and_keep_the_text(app, admin, field: str, disguised: str) -> None:
    token = csrf_from(admin.get(NEW_BREACH).text)
    response = admin.post(NEW_BREACH, data={**breach_form(app, **{field: disguised}), "csrf_token": token})
    refused_keeping(response, disguised)
    assert count(app, Breach) == 0
    ordinary = breach_form(app, scope="A backup on one of our web servers was readable for two days.")
    assert admin.post(NEW_BREACH, data={**ordinary, "csrf_token": token}).status_code == 303


@pytest.mark.parametrize(
    ("field", "disguised"),
    [
        ("recipient", "Web Server Sdn. Bhd."),
        ("data_disclosed", "Name, email (copied to support@webserver.com.my)"),
        ("purpose", "Ops Person asked for it"),
        ("reference", "WEBSERVER-REF-7"),
    ],
)
def test_disclosure_records_refuse_the_platform_and_keep_the_text(
    app, admin, field: str, disguised: str
) -> None:
    token = csrf_from(admin.get(NEW_DISCLOSURE).text)
    response = admin.post(
        NEW_DISCLOSURE, data={**disclosure_form(app, **{field: disguised}), "csrf_token": token}
    )
    refused_keeping(response, disguised)
    assert count(app, Disclosure) == 0
    ordinary = disclosure_form(app, purpose="Registering the domain; hosted on our web servers")
    assert admin.post(NEW_DISCLOSURE, data={**ordinary, "csrf_token": token}).status_code == 303


def test_the_billing_desk_refuses_the_platform_in_references_and_usernames(app, demo, client_for, make_staff):
    _order(client_for)
    staff = staff_client(client_for, make_staff, StaffRole.BILLING)
    with app.app_context():
        invoice_id = db.session.scalar(select(Invoice.id).where(Invoice.buyer_email == "aisyah@example.com"))
    page = staff.get("/staff/payments").text
    path = f"/staff/payments/{invoice_id}/bank-transfer"
    refused = staff.post(path, data={"reference": "WebServer 0042", "csrf_token": csrf_from(page)})
    refused_keeping(refused, 'value="WebServer 0042"')
    assert (
        staff.post(path, data={"reference": "MBB 2611 0042", "csrf_token": csrf_from(page)}).status_code
        == 303
    )
    queue = staff.get("/staff/provisioning").text
    with app.app_context():
        service_id = db.session.scalar(select(Service.id).where(Service.domain == "aisyah-bakery.com.my"))
    path = f"/staff/provisioning/{service_id}/activate"
    data = {"server": "web12", "username": "webserver01", "csrf_token": csrf_from(queue)}
    refused_keeping(staff.post(path, data=data), 'value="webserver01"')
    assert staff.post(path, data={**data, "username": "aisyahbk"}).status_code == 303
