"""Runs that overlap, a payment racing the run, and a run killed part-way: nothing doubled or lost.

The races need PostgreSQL's row locks (SQLite lets one writer in at a time); the killed run is shown on
both databases.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from storefront.billing import renewal_invoices as issuing
from storefront.billing import run as billing_run
from storefront.billing.run import run_billing
from storefront.commerce.sandbox_gateway import charge, handle_callback
from storefront.extensions import db
from storefront.models import (
    BillingNotice,
    Invoice,
    InvoicePurpose,
    LedgerEntry,
    OutboxMessage,
    ServiceEvent,
)
from tests.billing.helpers import buy_service, renewal_invoices, service_state

BOUGHT = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)
DOMAINS = ("one.com", "two.com", "three.com", "four.com", "five.com")


def _buy(app, client_for, count: int) -> list[int]:
    return [buy_service(app, client_for, BOUGHT, domain=domain) for domain in DOMAINS[:count]]


def _at_once(*jobs: Callable[[], object]) -> None:
    """Run each job in its own thread with its own app context, started together; fail on any error."""
    barrier, failures = threading.Barrier(len(jobs)), []

    def start(job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            job()
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=start, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def _runner(app, as_of: date) -> Callable[[], None]:
    """A billing run for Acme on ``as_of``, at 09:00 that day in Kuala Lumpur."""

    def job() -> None:
        with app.app_context():
            run_billing(as_of, shop_slug="acme", now=datetime.combine(as_of, time(1), tzinfo=UTC))

    return job


def _count(app, model, *conditions) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


@pytest.mark.postgres
def test_two_runs_at_once_issue_one_invoice_and_send_one_email_per_trigger(
    app, demo, client_for, monkeypatch
) -> None:
    monkeypatch.setattr(billing_run, "BATCH_SIZE", 2)  # many small batches: the runs interleave
    services = _buy(app, client_for, 5)
    for as_of in (date(2026, 2, 14), date(2026, 2, 21), date(2026, 3, 5)):
        _at_once(_runner(app, as_of), _runner(app, as_of), _runner(app, as_of))
    renewal = Invoice.purpose == InvoicePurpose.RENEWAL
    assert _count(app, Invoice, renewal) == 5
    assert _count(app, OutboxMessage, OutboxMessage.kind == "renewal_invoice") == 5
    # 21 Feb: seven days before due; 5 Mar: five days overdue, suspended, with the reminder of day 3.
    assert _count(app, OutboxMessage, OutboxMessage.kind == "renewal_reminder") == 10
    assert _count(app, OutboxMessage, OutboxMessage.kind == "service_suspended") == 5
    assert _count(app, ServiceEvent, ServiceEvent.what == "suspended") == 5
    assert _count(app, BillingNotice) == 20  # per invoice: issued, two reminders, suspended
    for service_id in services:
        assert service_state(app, service_id) == ("suspended", date(2026, 2, 28), "overdue")
        assert len(renewal_invoices(app, service_id)) == 1
    with app.app_context():  # the invoices numbered without a gap after the five orders'
        numbers = sorted(db.session.scalars(select(Invoice.number).where(renewal)))
    assert numbers == [6, 7, 8, 9, 10]


@pytest.mark.postgres
def test_a_card_callback_and_the_run_at_once_renew_the_service_once(app, demo, client_for) -> None:
    service_id = _buy(app, client_for, 1)[0]
    _runner(app, date(2026, 2, 14))()
    number = renewal_invoices(app, service_id)[0][0]
    with app.app_context():
        invoice = db.session.scalar(
            select(Invoice).where(Invoice.number == number, Invoice.service_id == service_id)
        )
        shop_id = invoice.reseller_id
        body, signature = charge(invoice, "4242 4242 4242 4242")

    def pay() -> None:
        with app.app_context():
            assert handle_callback(shop_id, body, signature).result == "paid"

    _at_once(pay, _runner(app, date(2026, 3, 5)))  # the day it would be suspended
    status, due, _ = service_state(app, service_id)
    assert (status, due) == ("active", date(2026, 3, 31))  # extended once, never left suspended
    assert _count(app, ServiceEvent, ServiceEvent.what == "renewed") == 1
    assert _count(app, LedgerEntry, LedgerEntry.invoice_line_id.is_not(None)) == 1
    assert _count(app, OutboxMessage, OutboxMessage.kind == "renewal_receipt") == 1
    # The same callback again is a duplicate: nothing moves.
    with app.app_context():
        assert handle_callback(shop_id, body, signature).result == "duplicate"
    assert service_state(app, service_id)[1] == date(2026, 3, 31)


class Killed(BaseException):
    """The worker died part-way through the run (a signal, not an error a shop's step could cause)."""


def test_a_run_killed_after_its_first_batch_loses_and_doubles_nothing(
    app, demo, client_for, monkeypatch
) -> None:
    monkeypatch.setattr(billing_run, "BATCH_SIZE", 2)
    services = _buy(app, client_for, 5)
    batches = []

    def die_in_the_second_batch(shop, invoice_ids, now) -> None:
        batches.append(invoice_ids)
        if len(batches) == 2:
            raise Killed("the worker was stopped")

    issuing.renewal_invoices_issued.connect(die_in_the_second_batch)
    try:
        with app.app_context(), pytest.raises(Killed):
            run_billing(date(2026, 2, 14), shop_slug="acme")
    finally:
        issuing.renewal_invoices_issued.disconnect(die_in_the_second_batch)
    renewal = Invoice.purpose == InvoicePurpose.RENEWAL
    assert _count(app, Invoice, renewal) == 2  # the first batch was committed, the second rolled back
    assert _count(app, OutboxMessage, OutboxMessage.kind == "renewal_invoice") == 2
    with app.app_context():
        run_billing(date(2026, 2, 14), shop_slug="acme")
        run_billing(date(2026, 2, 14), shop_slug="acme")
    assert _count(app, Invoice, renewal) == 5
    assert _count(app, OutboxMessage, OutboxMessage.kind == "renewal_invoice") == 5
    assert all(len(renewal_invoices(app, service_id)) == 1 for service_id in services)
    with app.app_context():
        numbers = sorted(db.session.scalars(select(Invoice.number).where(renewal)))
    assert numbers == [6, 7, 8, 9, 10]  # the number the killed batch took was given back


def test_a_shop_whose_run_fails_leaves_the_other_shops_billed(app, demo, client_for, monkeypatch) -> None:
    _buy(app, client_for, 1)
    calls = []

    def fail_at_acme(shop, invoice_ids) -> None:
        calls.append(shop.slug)
        if shop.slug == "acme":
            raise RuntimeError("a bad row")

    issuing.renewal_invoices_issued.connect(fail_at_acme)
    try:
        with app.app_context():
            reports = run_billing(date(2026, 2, 14))
    finally:
        issuing.renewal_invoices_issued.disconnect(fail_at_acme)
    failed = {report.shop: report.failed for report in reports}
    assert failed == {"acme": True, "bluewave": False, "kedai": False}
    assert "stopped by an error" in next(report.summary() for report in reports if report.shop == "acme")
    assert _count(app, Invoice, Invoice.purpose == InvoicePurpose.RENEWAL) == 0  # acme's batch rolled back
