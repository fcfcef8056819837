"""A credit note gives back as money only what was paid in money: account credit goes back as credit."""

from __future__ import annotations

import pytest

from storefront.commerce.credit_notes import CreditNoteError
from tests.commerce.credit_support import credit_invoice, give_credit, ledger, order_invoice
from tests.console.shop_data import checkout
from tests.shop.test_payments import _pay_by_card


def test_a_refund_is_capped_at_the_money_paid_and_the_rest_goes_back_as_credit(app, demo, client_for) -> None:
    give_credit(app, "100.00")
    shopper = checkout(client_for)
    assert _pay_by_card(shopper).status_code == 303  # the card pays what credit left
    invoice = order_invoice(app)
    paid_in_money = invoice.total_minor - invoice.credit_applied_minor
    line_amount = invoice.lines[0].amount_minor
    assert line_amount > paid_in_money
    with pytest.raises(CreditNoteError, match="can still go back as a refund"):
        credit_invoice(app, invoice.id, {1: line_amount}, outcome="refund")
    credit_invoice(app, invoice.id, {1: paid_in_money}, outcome="refund")
    with pytest.raises(CreditNoteError, match="RM 0.00 of this invoice can still go back"):
        credit_invoice(app, invoice.id, {1: 1}, outcome="refund")
    credit_invoice(app, invoice.id, {1: line_amount - paid_in_money}, outcome="account_credit")
    assert ledger(app)[-1][:2] == (line_amount - paid_in_money, line_amount - paid_in_money)


def test_an_invoice_paid_wholly_by_credit_is_never_refunded_as_money(app, demo, client_for) -> None:
    give_credit(app, "1000.00")
    checkout(client_for)
    invoice = order_invoice(app)
    assert invoice.status.value == "paid" and invoice.payment_gateway == "account_credit"
    with pytest.raises(CreditNoteError, match="RM 0.00 of this invoice"):
        credit_invoice(app, invoice.id, {1: 100}, outcome="refund")
