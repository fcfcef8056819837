"""Money around services in the console: a renewal paid after its service ended is listed under
"Refunds and credit" and settled there as a refund or as account credit; the wholesale statement lists
renewals' wholesale charges and the month's credit notes, those of renewal invoices included."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import select

from storefront.billing.renewals import renewal_paid
from storefront.extensions import db
from storefront.models import AuditEntry, Invoice, InvoiceStatus, RefundDue
from tests.billing.helpers import buy_service, pay_by_card, renewal_invoices, run, service_state
from tests.commerce.credit_support import credit_invoice, ledger
from tests.leakguard import find_leaks, response_texts
from tests.shop.helpers import csrf_from
from tests.steps import customer_id, owner_client

BOUGHT = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


def _terminated_and_paid(app, client_for, domains: tuple[str, ...]) -> list[int]:
    """Buy a service per domain, let each go unpaid to termination (warned a week before), then have a
    card payment for each renewal land just as it was terminated; return the renewal invoices' numbers."""
    services = [buy_service(app, client_for, BOUGHT, domain=domain) for domain in domains]
    for day in (date(2026, 2, 14), date(2026, 3, 23), date(2026, 3, 30)):
        run(app, _at(day), shop_slug="acme")
    numbers = []
    for service_id in services:
        assert service_state(app, service_id)[0] == "terminated"
        numbers.append(renewal_invoices(app, service_id)[0][0])
        with time_machine.travel(_at(date(2026, 4, 1)), tick=False), app.app_context():
            invoice = db.session.scalar(select(Invoice).where(Invoice.number == numbers[-1]))
            # The payment that raced the termination: it settled the invoice, then found the service ended.
            invoice.status, invoice.payment_gateway = InvoiceStatus.PAID, "sandbox_card"
            invoice.payment_reference = f"ch_{numbers[-1]}"
            renewal_paid(invoice)
            db.session.commit()
    return numbers


def test_a_renewal_paid_after_termination_is_settled_as_refund_or_credit(app, demo, client_for) -> None:
    refunded, credited = _terminated_and_paid(app, client_for, ("first.com", "second.com"))
    with time_machine.travel(_at(date(2026, 4, 2)), tick=False):
        team = owner_client(client_for)
        page = team.get("/console/refunds")
        assert page.status_code == 200 and not find_leaks(app.config, *response_texts(page))
        text = page.text
        for number in (refunded, credited):
            assert f"INV-{number:06d}" in text
        assert text.count("Renewal paid after the service had ended") == 2
        assert 'href="/console/services/1">INV-' in text and "a renewal" in text
        token = csrf_from(text)
        with app.app_context():
            charge = {
                number: db.session.scalar(
                    select(RefundDue.charge_reference).join(Invoice).where(Invoice.number == number)
                )
                for number in (refunded, credited)
            }
        short = team.post(
            f"/console/refunds/{refunded}/refunded",
            data={"csrf_token": token, "charge": charge[refunded], "reference": "x"},
        )
        assert short.status_code == 400 and "reference of the refund (3 to 120 characters)" in short.text
        wrong = team.post(
            f"/console/refunds/{refunded}/refunded",
            data={"csrf_token": token, "charge": "ch_not_ours", "reference": "FPX 7781"},
        )
        assert wrong.status_code == 404
        done = team.post(
            f"/console/refunds/{refunded}/refunded",
            data={"csrf_token": token, "charge": charge[refunded], "reference": "FPX 7781"},
        )
        assert done.status_code == 303 and done.headers["Location"] == "/console/refunds"
        again = team.post(
            f"/console/refunds/{refunded}/refunded",
            data={"csrf_token": token, "charge": charge[refunded], "reference": "FPX 7781"},
        )
        assert again.status_code == 409 and "already given back" in again.text
        as_credit = team.post(
            f"/console/refunds/{credited}/credit", data={"csrf_token": token, "charge": charge[credited]}
        )
        assert as_credit.status_code == 303
        assert (
            team.post(
                f"/console/refunds/{credited}/credit", data={"csrf_token": token, "charge": charge[credited]}
            ).status_code
            == 409
        )
        assert "No overpayment waits to be given back." in team.get("/console/refunds").text
    assert ledger(app)[-1] == (1290, 1290, "overpayment")
    with app.app_context():
        refunds = db.session.execute(select(RefundDue.refund_reference, RefundDue.credited_at)).all()
        actions = db.session.execute(
            select(AuditEntry.action, AuditEntry.customer_id).where(AuditEntry.record.like("refund:%"))
        ).all()
    assert sorted(reference or "" for reference, _ in refunds) == ["", "FPX 7781"]
    assert sorted(actions) == [("credited", customer_id(app)), ("refunded", customer_id(app))]


def test_another_shop_cannot_settle_a_refund(app, demo, client_for) -> None:
    (number,) = _terminated_and_paid(app, client_for, ("only.com",))
    with time_machine.travel(_at(date(2026, 4, 2)), tick=False):
        kedai = owner_client(client_for, "kedai.localhost", "owner@kedaihosting.test")
        token = csrf_from(kedai.get("/console/refunds").text)
        with app.app_context():
            charge = db.session.scalar(select(RefundDue.charge_reference))
        for path in (f"/console/refunds/{number}/refunded", f"/console/refunds/{number}/credit"):
            answer = kedai.post(path, data={"csrf_token": token, "charge": charge, "reference": "FPX 1"})
            assert answer.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(RefundDue.refunded_at)) is None


def test_the_statement_lists_renewal_charges_and_the_months_credit_notes(app, demo, client_for) -> None:
    service_id = buy_service(app, client_for, BOUGHT)
    run(app, _at(date(2026, 2, 14)), shop_slug="acme")
    renewal = renewal_invoices(app, service_id)[0][0]
    pay_by_card(client_for, renewal, _at(date(2026, 2, 15)))
    with app.app_context():
        ids = dict(db.session.execute(select(Invoice.number, Invoice.id)).all())
    with time_machine.travel(_at(date(2026, 2, 20)), tick=False):
        order_note = credit_invoice(app, ids[1], {1: 1000})
        renewal_note = credit_invoice(app, ids[renewal], {1: 290}, outcome="refund")
    with time_machine.travel(_at(date(2026, 2, 25)), tick=False):
        page = owner_client(client_for).get("/console/statement?month=2026-02")
    text = page.text
    assert page.status_code == 200 and "None" not in text
    assert (
        f"INV-{renewal:06d}" in text
        and "Starter hosting for anchored.com, 28 Feb 2026 to 30 Mar 2026" in text
    )
    assert "<td>renewal</td>" in text and "RM 5.00" in text  # the renewal's wholesale charge
    credits = text[text.index('id="statement-credits"') :]
    assert f"CN-{order_note:06d}" in credits and f"CN-{renewal_note:06d}" in credits
    assert "RM 10.00" in credits and "RM 2.90" in credits and "<td>renewal</td>" in credits
