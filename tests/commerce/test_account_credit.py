"""Account credit pays a new invoice first: all of it through the normal payment path, or part of it,
after which every way to pay charges only the amount still due. The ledger only grows and its balance
never drops below zero."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from storefront.commerce.account_credit import CreditError, apply_account_credit
from storefront.commerce.payments import invoice_paid, mark_bank_transfer_paid
from storefront.extensions import db
from storefront.models import (
    AccountCreditEntry,
    Customer,
    Invoice,
    Order,
    Payment,
    RefundDue,
    Service,
)
from storefront.models.account_credit import AccountCreditIsAppendOnly
from tests.commerce.credit_support import give_credit, ledger, order_invoice
from tests.console.shop_data import checkout
from tests.shop.helpers import outbox
from tests.shop.test_payments import _callback, _event, _pay_by_card, _sign

ACME = "acme.localhost"
TOTAL = 34800  # Business yearly RM 249.00 with a .com.my registration RM 99.00


@pytest.fixture
def paid_signals(app):
    """Every invoice announced paid while the test runs, by number."""
    seen: list[int] = []

    def heard(invoice, **_) -> None:
        seen.append(invoice.number)

    invoice_paid.connect(heard)
    yield seen
    invoice_paid.disconnect(heard)


def test_credit_that_covers_the_invoice_pays_it_once_and_fulfils_the_order(
    app, demo, client_for, paid_signals
) -> None:
    give_credit(app, "400.00")
    shopper = checkout(client_for)
    invoice = order_invoice(app)
    assert (invoice.status.value, invoice.payment_gateway, invoice.credit_applied_minor) == (
        "paid",
        "account_credit",
        0,
    )
    assert paid_signals == [invoice.number]
    with app.app_context():
        assert db.session.scalar(select(Order.status)).value == "paid"
        assert db.session.scalar(select(Payment.amount_minor)) == TOTAL
        assert [service.status.value for service in db.session.scalars(select(Service))] == ["pending"]
    assert [amount for amount, _, _ in ledger(app)] == [40000, -TOTAL]
    assert ledger(app)[-1][1:] == (5200, "invoice")
    receipts = outbox(app, to="aisyah@example.com", kind="payment_receipt")
    assert len(receipts) == 1 and "RM 348.00 from your account credit" in receipts[0].text_body
    page = shopper.get("/account/invoices/1").text
    assert "Paid from your account credit" in page and "How to pay" not in page
    assert (
        "Account credit: <strong" in shopper.get("/account").text
        and "RM 52.00" in shopper.get("/account").text
    )
    with app.app_context():  # applying again changes nothing
        assert apply_account_credit(db.session.get(Invoice, invoice.id)) == 0
        db.session.commit()
    assert len(ledger(app)) == 2 and paid_signals == [invoice.number]


def test_credit_that_covers_part_leaves_the_amount_due_for_every_way_to_pay(
    app, demo, client_for, paid_signals
) -> None:
    give_credit(app, "100.00")
    shopper = checkout(client_for)
    invoice = order_invoice(app)
    assert (invoice.status.value, invoice.credit_applied_minor, invoice.amount_due_minor) == (
        "issued",
        10000,
        TOTAL - 10000,
    )
    assert [(amount, after) for amount, after, _ in ledger(app)] == [(10000, 10000), (-10000, 0)]
    page = shopper.get("/account/invoices/1").text
    assert "Paid from your account credit" in page and "RM 248.00" in page
    assert "Pay RM 248.00 by card" in page
    # The gateway charges the whole total: the invoice refuses it, and the money is a refund to make.
    body = _event(invoice, id="evt_full", amount=TOTAL)
    refused = _callback(client_for(ACME), body, _sign(app, body))
    assert refused.status_code == 400 and order_invoice(app).status.value == "issued"
    with app.app_context():
        assert db.session.scalar(select(RefundDue.amount_minor)) == TOTAL
    assert paid_signals == []
    paid = _pay_by_card(shopper)  # the hosted page charges the amount due
    assert paid.status_code == 303 and order_invoice(app).status.value == "paid"
    with app.app_context():
        assert db.session.scalar(select(Payment.amount_minor)) == TOTAL - 10000
    assert paid_signals == [invoice.number]


def test_a_bank_transfer_settles_the_amount_due(app, demo, client_for) -> None:
    give_credit(app, "48.00")
    checkout(client_for)
    with app.app_context():
        invoice = db.session.scalar(select(Invoice))
        payment = mark_bank_transfer_paid(invoice, "MBB 300", "team:0")
        assert (payment.amount_minor, invoice.status.value) == (30000, "paid")


def test_an_empty_balance_pays_nothing_and_writes_nothing(app, demo, client_for) -> None:
    checkout(client_for)
    invoice = order_invoice(app)
    assert (invoice.status.value, invoice.credit_applied_minor) == ("issued", 0)
    assert ledger(app) == []


def test_the_balance_never_goes_below_zero(app, demo) -> None:
    give_credit(app, "10.00")
    with pytest.raises(CreditError, match="only RM 10.00 of account credit"):
        give_credit(app, "10.01", direction="take")
    give_credit(app, "10.00", direction="take")
    assert [(amount, after) for amount, after, _ in ledger(app)] == [(1000, 1000), (-1000, 0)]
    with app.app_context():  # the database refuses a negative balance whoever writes it
        customer = db.session.scalar(select(Customer).where(Customer.email == "aisyah@example.com"))
        with pytest.raises(IntegrityError):
            db.session.execute(
                insert(AccountCreditEntry).values(
                    reseller_id=customer.reseller_id,
                    customer_id=customer.id,
                    currency="MYR",
                    amount_minor=-1,
                    balance_after_minor=-1,
                    source="adjustment",
                    reason="Sneaky",
                    recorded_by="team:0",
                )
            )
        db.session.rollback()


def test_the_ledger_is_append_only(app, demo) -> None:
    give_credit(app, "10.00")
    with app.app_context():
        entry = db.session.scalar(select(AccountCreditEntry))
        entry.amount_minor = 5
        with pytest.raises(AccountCreditIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        for statement in (update(AccountCreditEntry).values(amount_minor=5), delete(AccountCreditEntry)):
            with pytest.raises(AccountCreditIsAppendOnly):
                db.session.execute(statement)
            db.session.rollback()
    assert ledger(app) == [(1000, 1000, "adjustment")]


@pytest.mark.postgres
def test_two_takes_at_once_never_overdraw_the_balance(app, demo) -> None:
    give_credit(app, "100.00")
    barrier, outcomes = threading.Barrier(2), []

    def take() -> None:
        barrier.wait()
        try:
            give_credit(app, "60.00", direction="take")
            outcomes.append("taken")
        except CreditError:
            outcomes.append("refused")

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "taken"]
    assert [(amount, after) for amount, after, _ in ledger(app)] == [(10000, 10000), (-6000, 4000)]
