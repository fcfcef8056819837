"""Money owed back on a renewal invoice (no order behind it) is settled from "Refunds and credit"."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storefront.billing.life import terminate
from storefront.billing.renewals import renewal_paid
from storefront.extensions import db
from storefront.models import Invoice, InvoiceStatus, RefundDue, Reseller, Service
from tests.billing.helpers import buy_service, renewal_invoices, run
from tests.commerce.credit_support import ledger
from tests.shop.helpers import csrf_from
from tests.steps import owner_client

BOUGHT = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)


def _renewal_owed_back(app, client_for) -> int:
    """A renewal paid just as its service was terminated: the payment is money to give back."""
    service_id = buy_service(app, client_for, BOUGHT)
    run(app, datetime(2026, 2, 14, 1, tzinfo=UTC), shop_slug="acme")
    number = renewal_invoices(app, service_id)[0][0]
    with app.app_context():
        service = db.session.get(Service, service_id)
        terminate(db.session.get(Reseller, service.reseller_id), service, "team:1", "Abuse report")
        invoice = db.session.scalar(select(Invoice).where(Invoice.number == number))
        invoice.status, invoice.payment_gateway, invoice.payment_reference = (
            InvoiceStatus.PAID,
            "sandbox_card",
            "ch_late",
        )  # as the payment racing the termination left it
        renewal_paid(invoice)
        db.session.commit()
    return number


def test_a_renewal_refund_is_listed_and_recorded_from_the_screen(app, demo, client_for) -> None:
    number = _renewal_owed_back(app, client_for)
    owner = owner_client(client_for)
    page = owner.get("/console/refunds")
    assert page.status_code == 200 and f"INV-{number:06d}" in page.text and "(renewal)" in page.text
    data = {"csrf_token": csrf_from(page.text), "charge": "ch_late", "reference": "FPX-REFUND-1"}
    done = owner.post(f"/console/refunds/invoices/{number}/refunded", data=data)
    assert done.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(RefundDue.refund_reference)) == "FPX-REFUND-1"
    again = owner.post(f"/console/refunds/invoices/{number}/refunded", data=data)
    assert again.status_code == 409
    assert owner.post(f"/console/refunds/invoices/{number + 99}/refunded", data=data).status_code == 404


def test_a_renewal_refund_can_be_given_as_account_credit_instead(app, demo, client_for) -> None:
    number = _renewal_owed_back(app, client_for)
    owner = owner_client(client_for)
    token = csrf_from(owner.get("/console/refunds").text)
    data = {"csrf_token": token, "charge": "ch_late"}
    assert owner.post(f"/console/refunds/invoices/{number}/credited", data=data).status_code == 303
    with app.app_context():
        refund = db.session.scalar(select(RefundDue))
        assert refund.credited_at is not None and refund.refunded_at is None
    assert ledger(app)[-1][0] == refund.amount_minor
    assert owner.post(f"/console/refunds/invoices/{number}/credited", data=data).status_code == 409
