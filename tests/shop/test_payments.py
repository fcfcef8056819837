"""Paying invoices: the sandbox card gateway's signed callbacks, bank transfers, and what payment sets off."""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from storefront.commerce.sandbox_gateway import signature_header
from storefront.extensions import db
from storefront.models import (
    DomainRegistration,
    Invoice,
    LedgerEntry,
    Order,
    Payment,
    PaymentEvent,
    Service,
)
from tests.shop.helpers import csrf_from, outbox
from tests.shop.test_checkout import signed_in_with_cart

ACME = "acme.localhost"


@pytest.fixture
def ordered(app, demo, client_for):
    """Aisyah at Acme has ordered Business yearly with a new .com.my domain: invoice 1, unpaid."""
    client, item, form = signed_in_with_cart(client_for)
    client.post(
        "/checkout", data=form | {f"choice-{item}": "register", f"domain-{item}": "aisyah-bakery.com.my"}
    )
    return client


def _invoice(app) -> Invoice:
    with app.app_context():
        invoice = db.session.scalar(select(Invoice))
        db.session.expunge(invoice)
        return invoice


def _pay_by_card(client, card="4242 4242 4242 4242"):
    token = csrf_from(client.get("/account/invoices/1").text)
    page = client.post("/account/invoices/1/pay/card", data={"csrf_token": token})
    assert page.status_code == 303
    path = urlsplit(page.headers["Location"]).path
    return client.post(path, data={"csrf_token": csrf_from(client.get(path).text), "card_number": card})


def test_card_payment_pays_and_fulfils_the_order(app, ordered) -> None:
    response = _pay_by_card(ordered)
    assert response.status_code == 303 and response.headers["Location"] == "/account/invoices/1"
    page = ordered.get("/account/invoices/1").text
    assert "Thank you, your payment is received." in page and "Paid" in page
    with app.app_context():
        assert db.session.scalar(select(Order.status)).value == "paid"
        [service] = db.session.scalars(select(Service)).all()
        assert (service.status.value, service.domain) == ("pending", "aisyah-bakery.com.my")
        charges = {e.description: e.amount_minor for e in db.session.scalars(select(LedgerEntry))}
        assert charges == {
            "Business hosting for aisyah-bakery.com.my, billed annually": 12000,
            "Registration of aisyah-bakery.com.my for 1 year": 8000,
        }
        [registration] = db.session.scalars(select(DomainRegistration)).all()
        assert registration.registrant == {"name": "Nur Aisyah", "email": "aisyah@example.com"}
        for contact in (registration.admin_contact, registration.tech_contact, registration.billing_contact):
            assert contact["organisation"] == "Acme Hosting Sdn. Bhd."
        assert registration.zone_contact["organisation"] == app.config["PLATFORM_NAME"]
        assert registration.nameservers == ["ns1.acme-hosting.test", "ns2.acme-hosting.test"]
    assert [m.kind for m in outbox(app, to="aisyah@example.com")][-1] == "payment_receipt"
    assert "Being set up" in ordered.get("/account/services").text


def test_a_declined_card_leaves_the_invoice_unpaid(app, ordered) -> None:
    response = _pay_by_card(ordered, card="4000 0000 0000 0002")
    assert response.status_code == 402 and "The card was declined." in response.text
    assert _invoice(app).status.value == "issued"


def _sign(app, body: bytes, timestamp: int | None = None) -> str:
    with app.app_context():
        return signature_header(body, int(time.time()) if timestamp is None else timestamp)


def _callback(client, body: bytes, header: str):
    return client.post(
        "/payments/sandbox/callback",
        data=body,
        headers={"Sandbox-Signature": header, "Content-Type": "application/json"},
    )


def _event(bill: Invoice, **changes) -> bytes:
    data = {
        "shop": bill.reseller_id,
        "invoice": bill.number,
        "amount": bill.total_minor,
        "currency": bill.currency,
        "charge": "ch_test",
    }
    event = {
        "id": changes.pop("id", "evt_1"),
        "type": changes.pop("type", "payment.succeeded"),
        "created": int(time.time()),
        "data": {**data, **changes},
    }
    return json.dumps(event).encode()


def _paid(app) -> bool:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Payment)) > 0


def test_a_signed_callback_pays_once_and_a_replay_changes_nothing(app, ordered, client_for) -> None:
    gateway = client_for(ACME)
    body = _event(_invoice(app))
    assert _callback(gateway, body, _sign(app, body)).text == "paid\n"
    assert _callback(gateway, body, _sign(app, body)).text == "duplicate\n"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 2


@pytest.mark.parametrize(
    ("case", "changes", "header"),
    [
        ("forged", {}, "t=1,v1=" + "0" * 64),
        ("unsigned", {}, ""),
        ("stale", {}, "stale"),
        ("short", {"amount": 100}, None),
        ("foreign currency", {"currency": "USD"}, None),
        ("other shop", {"shop": -1}, None),
        ("unknown invoice", {"invoice": 999}, None),
        ("amount as text", {"amount": "34800"}, None),
    ],
)
def test_bad_callbacks_leave_the_invoice_unpaid(app, ordered, client_for, case, changes, header) -> None:
    invoice = _invoice(app)
    body = _event(invoice, **changes)
    if header == "stale":
        header = _sign(app, body, int(time.time()) - 3600)
    response = _callback(client_for(ACME), body, _sign(app, body) if header is None else header)
    assert response.status_code == 400, case
    assert not _paid(app)
    assert _invoice(app).status.value == "issued"


def test_a_callback_for_another_shops_invoice_is_refused(app, ordered, client_for) -> None:
    body = _event(_invoice(app))  # Acme's invoice 1, sent to Kedai's callback URL
    assert _callback(client_for("kedai.localhost"), body, _sign(app, body)).status_code == 400
    assert not _paid(app)


def test_malformed_and_oversized_callbacks_are_refused(app, ordered, client_for) -> None:
    gateway = client_for(ACME)
    for body in (b"not json", b"{}", b'{"id": "x", "type": "payment.succeeded", "data": []}', b"x" * 20000):
        assert _callback(gateway, body, _sign(app, body)).status_code in (400, 413)
    assert not _paid(app)


def test_paying_a_paid_invoice_is_a_409(app, ordered, client_for) -> None:
    _pay_by_card(ordered)
    body = _event(_invoice(app), id="evt_2")
    second = _callback(client_for(ACME), body, _sign(app, body))
    assert second.status_code == 409
    token = csrf_from(ordered.get("/account/invoices/1").text)
    assert ordered.post("/account/invoices/1/pay/card", data={"csrf_token": token}).status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
        assert db.session.scalar(
            select(PaymentEvent.outcome).where(PaymentEvent.event_id == "evt_2")
        ).startswith("refused")


def test_issued_invoices_never_change(app, ordered) -> None:
    from storefront.models.invoice import IssuedInvoiceChanged

    with app.app_context():
        invoice = db.session.scalar(select(Invoice))
        invoice.total_minor = 1
        with pytest.raises(IssuedInvoiceChanged):
            db.session.flush()
        db.session.rollback()
        invoice.lines[0].description = "changed"
        with pytest.raises(IssuedInvoiceChanged):
            db.session.flush()
        db.session.rollback()
    assert _invoice(app).total_minor == 34800


def test_the_card_gateway_is_off_unless_switched_on(app, ordered, client_for) -> None:
    app.config["SANDBOX_GATEWAY_ENABLED"] = False
    page = ordered.get("/account/invoices/1").text
    assert "by card" not in page and "Bank transfer" in page
    token = csrf_from(page)
    assert ordered.post("/account/invoices/1/pay/card", data={"csrf_token": token}).status_code == 404
    body = _event(_invoice(app))
    assert _callback(client_for(ACME), body, _sign(app, body)).status_code == 404
    assert not _paid(app)


def test_a_callback_that_fails_part_way_is_applied_on_the_gateways_retry(
    app, ordered, client_for, monkeypatch
):
    from storefront.fulfilment import paid_orders as fulfilment

    body = _event(_invoice(app))
    gateway = client_for(ACME)

    def broken(*args, **kwargs):
        raise RuntimeError("mail template missing")

    monkeypatch.setattr(fulfilment, "send_templated", broken)
    assert _callback(gateway, body, _sign(app, body)).status_code == 500
    assert not _paid(app)
    monkeypatch.undo()
    assert _callback(gateway, body, _sign(app, body)).text == "paid\n"
    assert _paid(app)


def test_huge_numbers_in_paths_are_not_found(ordered) -> None:
    for path in ("/account/invoices/99999999999999999999999", "/account/invoices/2147483648"):
        assert ordered.get(path).status_code == 404
