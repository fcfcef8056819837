"""The customer's side of credit notes and account credit: beside the invoices in every theme,
printable like an invoice, only their own, and in the download of their data."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Invoice, Reseller
from tests.commerce.credit_support import credit_invoice, give_credit
from tests.leakguard import find_leaks, response_texts
from tests.shop.helpers import sign_in
from tests.steps import buy_and_pay

SHOPS = [  # host, customer, plan, theme
    ("acme.localhost", "aisyah@example.com", "business", "default"),
    ("bluewave.localhost", "weiming@example.net", "wordpress", "editorial"),
    ("kedai.localhost", "raj@example.org", "starter", "bazaar"),
]


def _bought_and_credited(app, client_for, host: str, email: str, plan: str, outcome: str = "account_credit"):
    client = client_for(host)
    sign_in(client, email)
    buy_and_pay(client, plan, f"credited-{plan}.com")
    with app.app_context():
        slug = host.split(".", 1)[0]
        invoice_id = db.session.scalar(
            select(Invoice.id).join(Reseller).where(Reseller.slug == slug).order_by(Invoice.id.desc())
        )
    credit_invoice(app, invoice_id, {1: 150}, outcome=outcome)
    return client


@pytest.mark.parametrize(("host", "email", "plan", "theme"), SHOPS)
def test_the_customer_sees_credit_notes_and_credit_in_every_theme(
    app, full_demo, client_for, host, email, plan, theme
) -> None:
    client = _bought_and_credited(app, client_for, host, email, plan)
    with app.app_context():
        assert db.session.scalar(select(Reseller.theme).where(Reseller.slug == host.split(".")[0])) == theme
    invoices = client.get("/account/invoices")
    assert invoices.status_code == 200
    assert "Credit notes" in invoices.text and "CN-000001" in invoices.text and "RM 1.50" in invoices.text
    assert "Your balance: <strong" in invoices.text and "Credit note CN-000001" in invoices.text
    overview = client.get("/account").text
    assert "Account credit: <strong" in overview and "RM 1.50" in overview
    invoice = client.get("/account/invoices/1").text
    assert "This invoice stays as issued; these credit notes correct it." in invoice
    note = client.get("/account/credit-notes/1")
    assert note.status_code == 200 and "Credit note CN-000001" in note.text
    assert 'class="invoice"' in note.text and 'class="no-print"' in note.text  # prints like an invoice
    assert "Goodwill for a slow start" in note.text and "Added to your account credit" in note.text
    for response in (invoices, note, client.get("/account"), client.get("/account/invoices/1")):
        assert not find_leaks(app.config, *response_texts(response))


def test_a_credit_note_is_only_its_customers(app, full_demo, client_for) -> None:
    _bought_and_credited(app, client_for, "acme.localhost", "aisyah@example.com", "business")
    kedai = client_for("kedai.localhost")
    sign_in(kedai, "raj@example.org")
    for path in ("/account/credit-notes/1", "/account/credit-notes/2", "/account/credit-notes/abc"):
        response = kedai.get(path)
        assert response.status_code == 404 and "CN-000001" not in response.text
    assert client_for("acme.localhost").get("/account/credit-notes/1").status_code == 302  # sign in first


def test_the_data_export_holds_credit_notes_and_account_credit(app, full_demo, client_for) -> None:
    client = _bought_and_credited(
        app, client_for, "acme.localhost", "aisyah@example.com", "business", "refund"
    )
    give_credit(app, "5.00")
    data = json.loads(client.get("/account/privacy/export").data)
    [note] = data["credit_notes"]
    assert (note["credit_note"], note["invoice"], note["becomes"], note["total_minor"]) == (
        "CN-000001",
        "INV-000001",
        "refund",
        150,
    )
    assert note["buyer"] == {"name": "Nur Aisyah", "email": "aisyah@example.com"}
    assert note["lines"] == [
        {"description": "Business hosting for credited-business.com, billed monthly", "amount_minor": 150}
    ]
    assert [(e["source"], e["amount_minor"], e["balance_after_minor"]) for e in data["account_credit"]] == [
        ("adjustment", 500, 500)
    ]
