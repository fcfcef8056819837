"""Cancelling an order from the console: an unpaid one with its invoice, with a reason the customer is
emailed and any account credit it held given back; a paid one is refused with what to do instead."""

from __future__ import annotations

from sqlalchemy import select

from storefront.commerce.payments import mark_bank_transfer_paid
from storefront.extensions import db
from storefront.models import AuditEntry, Invoice, Order
from tests.commerce.credit_support import give_credit, ledger
from tests.console.shop_data import agent, checkout, only_order_id, only_order_number
from tests.leakguard import find_leaks, response_texts
from tests.shop.helpers import csrf_from, outbox, sign_in
from tests.steps import customer_id, owner_client

AISYAH = "aisyah@example.com"


def _state(app) -> tuple[str, str, int]:
    with app.app_context():
        order = db.session.scalar(select(Order).order_by(Order.id.desc()))
        invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
        return order.status.value, invoice.status.value, invoice.credit_applied_minor


def _cancel(team, path: str, reason: str):
    return team.post(f"{path}/cancel", data={"csrf_token": csrf_from(team.get(path).text), "reason": reason})


def test_an_unpaid_order_is_cancelled_with_a_reason_and_its_credit_given_back(app, demo, client_for) -> None:
    give_credit(app, "10.00")
    checkout(client_for)
    assert _state(app) == ("pending_payment", "issued", 1000)  # the credit pays part of it
    team, path = owner_client(client_for), f"/console/orders/{only_order_number(app)}"
    page = team.get(path)
    assert "Cancel the order" in page.text and not find_leaks(app.config, *response_texts(page))
    for reason, message in (
        ("", "Give a reason the customer can read (3 to 300 characters)."),
        ("ok", "Give a reason the customer can read (3 to 300 characters)."),
        ("Hosted by WebServer now", "customers must never learn who hosts the shop"),
    ):
        refused = _cancel(team, path, reason)
        assert refused.status_code == 400 and message in refused.text, reason
    assert _state(app) == ("pending_payment", "issued", 1000) and outbox(app, kind="order_cancelled") == []
    done = _cancel(team, path, "You asked us to cancel it by phone")
    assert done.status_code == 303 and done.headers["Location"] == path
    assert _state(app)[:2] == ("cancelled", "cancelled")
    assert ledger(app)[-1] == (1000, 1000, "invoice")  # the RM 10.00 is the customer's again
    (email,) = outbox(app, kind="order_cancelled")
    assert email.to_address == AISYAH
    assert "with its invoice INV-000001 (RM 348.00): You asked us to cancel it by phone." in email.text_body
    assert "The RM 10.00 of account credit it held is yours again." in email.text_body
    again = _cancel(team, path, "Twice")
    assert again.status_code == 409 and "This order is already cancelled; nothing was changed." in again.text
    assert len(outbox(app, kind="order_cancelled")) == 1 and ledger(app)[-1] == (1000, 1000, "invoice")
    with app.app_context():
        entries = db.session.execute(
            select(AuditEntry.action, AuditEntry.reason, AuditEntry.customer_id).where(
                AuditEntry.record == f"order:{only_order_id(app)}", AuditEntry.action == "cancel_order"
            )
        ).all()
    assert entries == [("cancel_order", "You asked us to cancel it by phone", customer_id(app))]
    shopper = client_for("acme.localhost")
    sign_in(shopper, AISYAH)
    assert "cancelled order 1" in shopper.get("/account/privacy").text


def test_a_paid_order_is_not_cancelled(app, demo, client_for) -> None:
    checkout(client_for)
    with app.app_context():
        mark_bank_transfer_paid(db.session.scalar(select(Invoice)), "MBB 1", recorded_by="team:0")
    team, path = owner_client(client_for), f"/console/orders/{only_order_number(app)}"
    page = team.get(path).text
    assert "Cancel the order" not in page and "A paid order is not cancelled: issue a credit note" in page
    refused = team.post(f"{path}/cancel", data={"csrf_token": csrf_from(page), "reason": "Changed my mind"})
    assert refused.status_code == 409
    assert "This order is paid, so it cannot be cancelled: issue a credit note" in refused.text
    assert "terminate its service" in refused.text
    assert _state(app)[:2] == ("paid", "paid") and outbox(app, kind="order_cancelled") == []


def test_only_owners_of_the_shop_cancel(app, demo, client_for) -> None:
    checkout(client_for)
    number = only_order_number(app)
    helper = agent(app, client_for)
    token = csrf_from(helper.get("/console/tickets").text)
    assert (
        helper.post(
            f"/console/orders/{number}/cancel", data={"csrf_token": token, "reason": "Gone"}
        ).status_code
        == 403
    )
    kedai = owner_client(client_for, "kedai.localhost", "owner@kedaihosting.test")
    token = csrf_from(kedai.get("/console/orders").text)
    assert (
        kedai.post(
            f"/console/orders/{number}/cancel", data={"csrf_token": token, "reason": "Gone"}
        ).status_code
        == 404
    )
    assert _state(app)[:2] == ("pending_payment", "issued")
