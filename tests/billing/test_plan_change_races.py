"""Plan changes at once on PostgreSQL: two confirmations of one upgrade make one invoice, and two payments
of it at once move the service once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from storefront.billing.plan_changes import change_plan
from storefront.commerce.sandbox_gateway import CallbackRejected, charge, handle_callback
from storefront.extensions import db
from storefront.models import Invoice, InvoicePurpose, LedgerEntry, RefundDue, Reseller, Service, ServiceEvent
from tests.billing.test_races import _at_once
from tests.shop.service_steps import MID_FEBRUARY, bought_service, plan_change_invoices, plan_of


def _count(app, model, *conditions) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def _confirm(app, service_id: int, outcomes: list) -> None:
    with app.app_context():
        shop = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        service = db.session.get(Service, service_id)
        outcome = change_plan(
            shop, service, "business", "customer:1", from_plan="starter", quoted_minor=772, now=MID_FEBRUARY
        )
        outcomes.append(outcome.invoice.number)
        db.session.commit()


@pytest.mark.postgres
def test_two_upgrade_confirmations_at_once_make_one_invoice(app, demo, client_for) -> None:
    service_id, _ = bought_service(app, client_for)
    outcomes: list[int] = []
    _at_once(*(lambda: _confirm(app, service_id, outcomes) for _ in range(3)))
    assert len(plan_change_invoices(app, service_id)) == 1
    assert len(set(outcomes)) == 1 and len(outcomes) == 3  # every click was answered with that invoice
    assert _count(app, ServiceEvent, ServiceEvent.what == "plan_change_invoiced") == 1


@pytest.mark.postgres
def test_two_payments_of_the_upgrade_at_once_move_the_service_once(app, demo, client_for) -> None:
    service_id, _ = bought_service(app, client_for)
    _confirm(app, service_id, [])
    moment = datetime(2026, 2, 10, 3, tzinfo=UTC)
    with time_machine.travel(moment, tick=False), app.app_context():
        invoice = db.session.scalar(select(Invoice).where(Invoice.purpose == InvoicePurpose.PLAN_CHANGE))
        shop_id = invoice.reseller_id
        callbacks = [charge(invoice, "4242 4242 4242 4242") for _ in range(2)]  # two charges of one invoice
    results: list[str] = []

    def pay(body: bytes, signature: str):
        def job() -> None:
            with time_machine.travel(moment, tick=False), app.app_context():
                try:
                    results.append(handle_callback(shop_id, body, signature).result)
                except CallbackRejected as refused:  # the second charge of a paid invoice
                    results.append(f"refused {refused.status}")

        return job

    _at_once(*(pay(body, signature) for body, signature in callbacks))
    assert sorted(results) == ["paid", "refused 409"]
    assert _count(app, RefundDue) == 1  # the second charge is money to give back
    assert plan_of(app, service_id) == ("business", 2490, date(2026, 2, 28))
    assert _count(app, ServiceEvent, ServiceEvent.what == "plan_changed") == 1
    assert _count(app, LedgerEntry, LedgerEntry.description.like("Move from%")) == 1
