"""Credit notes: numbered per shop without gaps, never changed once issued, never more than an invoice line
had left, and two issued at once on one invoice cannot exceed it."""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.commerce.credit_notes import CreditNoteError, CreditRequest, issue_credit_note
from storefront.extensions import db
from storefront.models import CreditNote, CreditNoteLine, Customer, Invoice, Reseller, utcnow
from storefront.models.credit_note import IssuedCreditNoteChanged
from storefront.privacy.retention import purge
from tests.commerce.credit_support import credit_invoice, ledger, notes, order_invoice, paid_order
from tests.console.shop_data import checkout
from tests.shop.helpers import sign_in
from tests.steps import buy_and_pay

HOSTING, DOMAIN = 1, 2  # line positions of the Business yearly order: RM 249.00 and RM 99.00


def _kedai_paid_invoice(app, client_for) -> int:
    kedai = client_for("kedai.localhost")
    sign_in(kedai, "raj@example.org")
    buy_and_pay(kedai, "starter", "raj-credit.com")
    with app.app_context():
        return db.session.scalar(
            select(Invoice.id).join(Reseller).where(Reseller.slug == "kedai").order_by(Invoice.id.desc())
        )


def test_credit_notes_count_per_shop_without_gaps(app, demo, client_for) -> None:
    paid_order(app, client_for)
    acme_invoice = order_invoice(app).id
    assert credit_invoice(app, acme_invoice, {HOSTING: 1000}) == 1
    with pytest.raises(CreditNoteError):  # refused: more than the line: no number is used up
        credit_invoice(app, acme_invoice, {DOMAIN: 9901})
    assert credit_invoice(app, acme_invoice, {DOMAIN: 500}) == 2
    assert credit_invoice(app, _kedai_paid_invoice(app, client_for), {1: 100}) == 1  # Kedai counts from 1
    assert credit_invoice(app, acme_invoice, {HOSTING: 100}) == 3
    by_shop = {}
    for note in notes(app):
        by_shop.setdefault(note.reseller_id, []).append(note.number)
    assert sorted(by_shop.values()) == [[1], [1, 2, 3]]


def test_whole_and_part_lines_are_credited_and_never_more_than_is_left(app, demo, client_for) -> None:
    paid_order(app, client_for)
    invoice_id = order_invoice(app).id
    credit_invoice(app, invoice_id, {HOSTING: 4900, DOMAIN: 9900})  # part of hosting, the whole domain line
    [note] = notes(app)
    assert note.total_minor == 14800 and [line.amount_minor for line in note.lines] == [4900, 9900]
    assert [line.description for line in note.lines] == [
        "Business hosting for aisyah-bakery.com.my, billed annually",
        "Registration of aisyah-bakery.com.my for 1 year",
    ]
    with pytest.raises(CreditNoteError) as refused:
        credit_invoice(app, invoice_id, {DOMAIN: 1})
    assert refused.value.line_errors == {DOMAIN: "Only RM 0.00 of this line is left to credit."}
    with pytest.raises(CreditNoteError) as refused:
        credit_invoice(app, invoice_id, {HOSTING: 20001})
    assert refused.value.line_errors == {HOSTING: "Only RM 200.00 of this line is left to credit."}
    credit_invoice(app, invoice_id, {HOSTING: 20000})  # exactly what is left
    assert [note.total_minor for note in notes(app)] == [14800, 20000]
    with pytest.raises(CreditNoteError):
        credit_invoice(app, invoice_id, {HOSTING: 1})
    assert len(notes(app)) == 2
    assert sum(amount for amount, _, _ in ledger(app)) == 34800  # the invoice's total, no more


def test_only_a_paid_invoice_is_credited(app, demo, client_for) -> None:
    checkout(client_for)
    with pytest.raises(CreditNoteError, match="Only a paid invoice can be credited"):
        credit_invoice(app, order_invoice(app).id, {HOSTING: 100})
    assert notes(app) == []


def test_an_issued_credit_note_never_changes_but_its_refund_is_recorded(app, demo, client_for) -> None:
    paid_order(app, client_for)
    credit_invoice(app, order_invoice(app).id, {HOSTING: 1000}, outcome="refund")
    with app.app_context():
        note = db.session.scalar(select(CreditNote))
        note.refunded_at, note.refund_reference = utcnow(), "RF 1"  # the settlement may change
        db.session.commit()
        for change in (
            lambda n: setattr(n, "total_minor", 1),
            lambda n: setattr(n, "reason", "Something else"),
            lambda n: setattr(n, "buyer_name", "Someone"),
            lambda n: setattr(n.lines[0], "amount_minor", 1),
            lambda n: db.session.delete(n.lines[0]),
            lambda n: db.session.delete(n),
        ):
            note = db.session.scalar(select(CreditNote))
            change(note)
            with pytest.raises(IssuedCreditNoteChanged):
                db.session.flush()
            db.session.rollback()
        line = db.session.scalar(select(CreditNoteLine))
        assert (line.amount_minor, db.session.scalar(select(CreditNote.total_minor))) == (1000, 1000)


def test_the_purge_reduces_the_buyer_on_credit_notes_and_keeps_the_rest(app, demo, client_for) -> None:
    paid_order(app, client_for)
    credit_invoice(app, order_invoice(app).id, {HOSTING: 1000})
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.email == "aisyah@example.com"))
        customer.closed_at = utcnow()
        db.session.commit()
        reports = purge(utcnow() + timedelta(days=31 * 25))  # past the default 24 months
    assert [report.credit_notes for report in reports if report.credit_notes] == [1]
    [note] = notes(app)
    assert (note.buyer_name, note.buyer_email, note.total_minor) == ("Former customer", "", 1000)
    assert note.anonymised_at is not None and note.lines[0].amount_minor == 1000
    assert note.reason == "Goodwill for a slow start"


def _racing_request(amount: int) -> CreditRequest:
    return CreditRequest({HOSTING: amount}, "Two desks at once", "account_credit", secrets.token_urlsafe(24))


@pytest.mark.postgres
def test_two_credit_notes_at_once_on_one_invoice_cannot_exceed_it(app, demo, client_for) -> None:
    paid_order(app, client_for)
    invoice_id = order_invoice(app).id
    barrier, outcomes = threading.Barrier(4), []

    def issue() -> None:
        with app.app_context():
            invoice = db.session.get(Invoice, invoice_id)
            shop = db.session.get(Reseller, invoice.reseller_id)
            barrier.wait()
            try:
                issue_credit_note(shop, invoice, _racing_request(15000), "team:0")
                db.session.commit()
                outcomes.append("issued")
            except CreditNoteError:
                db.session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["issued", "refused", "refused", "refused"]  # 150 of 249, once
    assert [note.number for note in notes(app)] == [1]
    assert [(amount, after) for amount, after, _ in ledger(app)] == [(15000, 15000)]


@pytest.mark.postgres
def test_the_same_form_sent_twice_at_once_issues_one_note(app, demo, client_for) -> None:
    paid_order(app, client_for)
    invoice_id = order_invoice(app).id
    request, barrier, numbers = _racing_request(1000), threading.Barrier(3), []

    def issue() -> None:
        with app.app_context():
            invoice = db.session.get(Invoice, invoice_id)
            shop = db.session.get(Reseller, invoice.reseller_id)
            barrier.wait()
            note, _ = issue_credit_note(shop, invoice, request, "team:0")
            db.session.commit()
            numbers.append(note.number)

    threads = [threading.Thread(target=issue) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert numbers == [1, 1, 1] and len(notes(app)) == 1 and len(ledger(app)) == 1
