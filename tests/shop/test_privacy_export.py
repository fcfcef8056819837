"""Downloading my data: one JSON file with everything the shop holds about me, and nothing else."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import AuditEntry, Customer, Disclosure, LegalBasis, Ticket, utcnow
from tests.leakguard import find_leaks, response_texts
from tests.shop.privacy_support import (
    AISYAH,
    KEDAI,
    add_customer,
    add_purchases,
    add_tickets,
    download,
    post_privacy,
    signed_in,
    staff_answers,
)
from tests.staff.escalation_helpers import staff_client, staff_id
from tests.steps import customer_id, customer_number, number_of, owner_client

SECTIONS = {
    "format",
    "generated_at",
    "data_user",
    "profile",
    "orders",
    "invoices",
    "credit_notes",
    "account_credit",
    "services",
    "domain_registrations",
    "tickets",
    "consents",
    "notice_acceptances",
    "correction_requests",
    "access_log",
    "disclosures",
}


@pytest.fixture
def aisyah(demo, client_for):
    return signed_in(client_for)


def test_the_download_is_one_json_attachment_that_is_never_cached(app, aisyah) -> None:
    response = aisyah.get("/account/privacy/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="acme-my-data-\d{4}-\d{2}-\d{2}\.json"', disposition)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    data = json.loads(response.get_data(as_text=True))
    assert set(data) == SECTIONS
    assert (
        data["data_user"]["name"] == "Acme Hosting Sdn. Bhd."
        and data["data_user"]["trading_as"] == "Acme Hosting"
    )
    profile = data["profile"]
    assert (profile["name"], profile["email"], profile["marketing_consent"]) == ("Nur Aisyah", AISYAH, False)
    assert {"email_verified", "created_at", "privacy_notice_version_accepted"} <= set(profile)


def test_the_download_is_audited(app, aisyah) -> None:
    me = customer_id(app)
    download(aisyah)
    with app.app_context():
        rows = db.session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.customer_id)).all()
    assert (f"customer:{me}", "export", me) in [tuple(r) for r in rows]


def test_orders_invoices_services_and_domains_are_in_it_without_the_shops_costs(app, aisyah) -> None:
    [bought] = add_purchases(app, customer_id(app), 1)
    data = download(aisyah)
    [order] = data["orders"]
    assert order["order"] == bought["order_number"]
    assert order["lines"][0]["description"] == "Starter for mine-0.com"
    [invoice] = data["invoices"]
    assert invoice["invoice"] == f"INV-{bought['number']:06d}" and invoice["buyer"]["email"] == AISYAH
    assert invoice["order"] == bought["order_number"]
    assert invoice["lines"] == [{"description": "Starter for mine-0.com", "amount_minor": 1500}]
    [service] = data["services"]
    assert (service["domain"], service["plan"]) == ("mine-0.com", "Starter")
    assert service["service"] == bought["service_number"]
    [registration] = data["domain_registrations"]
    assert registration["registrant"] == {"name": "Nur Aisyah", "email": AISYAH}
    text = json.dumps(data)
    assert "wholesale" not in text and "777" not in text and "web1." not in text
    assert "zone_contact" not in text and not find_leaks(app.config, text)


def test_tickets_come_with_their_messages_but_never_internal_notes(app, aisyah, make_staff) -> None:
    [ticket_id] = add_tickets(app, customer_id(app), 1)
    staff_answers(app, ticket_id, make_staff(email="ops@platform.test"), "We restarted your server.")
    [ticket] = download(aisyah)["tickets"]
    assert ticket["ticket"] == number_of(app, Ticket, ticket_id) and ticket["subject"] == "Site down 0"
    said = [(m["from"], m["body"]) for m in ticket["messages"]]
    assert said == [
        ("Nur Aisyah", "Site down: it broke (0)."),
        ("Farid Hassan", "Team answer 0"),
        ("Acme Escalations Team", "We restarted your server."),
    ]
    first = ticket["messages"][0]["attachments"]
    assert first == [{"name": "screenshot-0.png", "size_bytes": 2048, "content_type": "image/png"}]


def test_staff_never_appear_by_name_and_nothing_names_the_platform(
    app, aisyah, client_for, make_staff
) -> None:
    [ticket_id] = add_tickets(app, customer_id(app), 1)
    staff_answers(app, ticket_id, make_staff(email="desk@platform.test"))
    staff = staff_client(client_for, make_staff)
    staff.get(f"/staff/escalations/{ticket_id}")
    response = aisyah.get("/account/privacy/export")
    text = response.get_data(as_text=True)
    data = json.loads(text)
    assert "Ops Person" not in text and "platform.test" not in text and f"staff:{staff_id(app)}" not in text
    assert not find_leaks(app.config, *response_texts(response))
    assert {"Acme Escalations Team"} <= {line["who"] for line in data["access_log"]}


def test_the_access_log_disclosures_consents_and_corrections_are_in_it(app, aisyah, client_for) -> None:
    me = customer_id(app)
    owner_client(client_for).get(f"/console/customers/{customer_number(app)}")
    post_privacy(aisyah, "/account/privacy/consent", {"granted": "yes"})
    post_privacy(aisyah, "/account/privacy/corrections", {"record": "other", "details": "My phone is wrong."})
    with app.app_context():
        db.session.add(
            Disclosure(
                reseller_id=db.session.scalar(select(AuditEntry.reseller_id).limit(1)),
                customer_id=me,
                recipient="MYNIC Berhad",
                data="name, email, domain",
                purpose="Registering your .my domain",
                legal_basis=LegalBasis.CONTRACT,
                reference="REG-1",
                disclosed_at=utcnow(),
                recorded_by="staff:1",
            )
        )
        db.session.commit()
    data = download(aisyah)
    assert [(line["who"], line["what"]) for line in data["access_log"]] == [
        ("Farid Hassan", "viewed your customer record")
    ]
    [disclosure] = data["disclosures"]
    assert disclosure["to"] == "MYNIC Berhad" and disclosure["legal_basis"].startswith("Needed to provide")
    assert "staff:1" not in json.dumps(data)
    assert [(c["purpose"], c["granted"], c["source"]) for c in data["consents"]] == [
        ("marketing", True, "privacy centre")
    ]
    [correction] = data["correction_requests"]
    assert (correction["about"], correction["details"], correction["status"]) == (
        "Something else",
        "My phone is wrong.",
        "open",
    )


def test_nothing_of_another_customer_or_shop_is_in_it(app, aisyah, client_for) -> None:
    me = customer_id(app)
    add_purchases(app, me, 1)
    add_tickets(app, me, 1, subject="Mine")
    neighbour = add_customer(app, "acme", "neighbour@example.com", "Next Door")
    add_purchases(app, neighbour, 1, tag="neighbour")
    add_tickets(app, neighbour, 1, subject="Neighbour trouble")
    twin = add_customer(app, "kedai", AISYAH, "Aisyah At Kedai")
    add_purchases(app, twin, 2, tag="kedai-twin")
    add_tickets(app, twin, 1, subject="Kedai trouble")
    owner_client(client_for, KEDAI).get(f"/console/customers/{number_of(app, Customer, twin)}")
    twin_client = signed_in(client_for, KEDAI)
    post_privacy(twin_client, "/account/privacy/consent", {"granted": "yes"})
    mine = download(aisyah)
    assert mine["consents"] == [] and mine["access_log"] == [] and len(mine["orders"]) == 1
    text = json.dumps(mine)
    for foreign in ["neighbour", "Next Door", "Neighbour trouble", "kedai-twin", "Kedai", "Aisyah At Kedai"]:
        assert foreign not in text
    twin_data = download(twin_client)
    assert twin_data["profile"]["name"] == "Aisyah At Kedai" and "mine-0.com" not in json.dumps(twin_data)
    assert twin_data["data_user"]["trading_as"] == "Kedai Hosting"


def test_the_download_costs_the_same_queries_for_one_order_or_five(
    app, aisyah, client_for, count_queries
) -> None:
    me = customer_id(app)
    owner = owner_client(client_for)
    add_purchases(app, me, 1)
    [first] = add_tickets(app, me, 1)
    owner.get(f"/console/tickets/{number_of(app, Ticket, first)}")
    with count_queries() as one:
        download(aisyah)
    add_purchases(app, me, 4, tag="more")
    for ticket_id in add_tickets(app, me, 4, subject="More"):
        owner.get(f"/console/tickets/{number_of(app, Ticket, ticket_id)}")
    with count_queries() as five:
        data = download(aisyah)
    assert len(data["orders"]) == 5 and len(data["tickets"]) == 5 and len(data["access_log"]) == 5
    assert len(five) == len(one)
