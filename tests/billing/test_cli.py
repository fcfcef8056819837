"""`storefront billing run --as-of DATE [--dry-run] [--shop SLUG]`: shows, then does, what is due."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import BillingNotice, Invoice, OutboxMessage, ServiceEvent
from tests.billing.helpers import buy_service, renewal_invoices, service_state

BOUGHT = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)
LATER = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # the run itself happens later; --as-of picks the date


def _counts(app) -> tuple[int, ...]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Invoice, OutboxMessage, BillingNotice, ServiceEvent)
        )


def _run(app, *args: str):
    with time_machine.travel(LATER, tick=False):
        return app.test_cli_runner().invoke(args=["billing", "run", *args])


def test_a_dry_run_shows_what_is_due_and_changes_nothing(app, demo, client_for) -> None:
    service_id = buy_service(app, client_for, BOUGHT)
    before = _counts(app)
    shown = _run(app, "--as-of", "2026-03-05", "--dry-run")
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines() == [
        "Dry run: nothing was changed. A run now would do this:",
        "acme (2026-03-05): 1 renewal invoice issued",
        "bluewave (2026-03-05): nothing due",
        "kedai (2026-03-05): nothing due",
        "Total: 1 renewal invoice issued",
    ]
    assert _counts(app) == before
    assert service_state(app, service_id) == ("active", date(2026, 2, 28), None)


def test_the_run_does_what_the_dry_run_showed_and_a_second_run_does_nothing(app, demo, client_for) -> None:
    service_id = buy_service(app, client_for, BOUGHT)
    shown = _run(app, "--as-of", "2026-02-14", "--dry-run", "--shop", "acme")
    assert shown.output.splitlines()[1:] == [
        "acme (2026-02-14): 1 renewal invoice issued",
        "Total: 1 renewal invoice issued",
    ]
    done = _run(app, "--as-of", "2026-02-14", "--shop", "acme")
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == [
        "acme (2026-02-14): 1 renewal invoice issued",
        "Total: 1 renewal invoice issued",
    ]
    assert [(start, status) for _, start, _, status, _ in renewal_invoices(app, service_id)] == [
        (date(2026, 2, 28), "issued")
    ]
    after = _counts(app)
    again = _run(app, "--as-of", "2026-02-14")
    assert again.output.splitlines()[-1] == "Total: nothing due"
    assert _counts(app) == after


def test_a_date_that_is_no_date_and_an_unknown_shop_are_refused(app, demo) -> None:
    bad_date = _run(app, "--as-of", "2026-02-30")
    assert bad_date.exit_code == 2 and "write the date as YYYY-MM-DD" in bad_date.output
    bad_shop = _run(app, "--shop", "nobody")
    assert bad_shop.exit_code == 2 and "no shop has the slug 'nobody'" in bad_shop.output


def test_a_dry_run_counts_each_step_that_is_due(app, demo, client_for) -> None:
    """Invoiced and left unpaid: 5 days after due the dry run shows the suspension and the reminder."""
    buy_service(app, client_for, BOUGHT)
    _run(app, "--as-of", "2026-02-14", "--shop", "acme")
    shown = _run(app, "--as-of", "2026-03-05", "--dry-run", "--shop", "acme")
    assert shown.output.splitlines()[1] == "acme (2026-03-05): 1 service suspended, 1 reminder"
    done = _run(app, "--as-of", "2026-03-05", "--shop", "acme")
    assert done.output.splitlines()[0] == "acme (2026-03-05): 1 service suspended, 1 reminder"


def test_the_worker_runs_the_billing_run_every_hour_on_each_shops_date(app, demo, client_for) -> None:
    from storefront.jobs import jobs_of
    from storefront.worker import STEPS

    step = next(step for step in STEPS if step.name == "billing_run")
    assert "billing_run" in jobs_of(app).steps
    hours = [hour for hour in range(24) if step.schedule(datetime(2026, 2, 13, hour, 7))]
    assert hours == list(range(24)) and not step.schedule(datetime(2026, 2, 13, 5, 8))
    service_id = buy_service(app, client_for, BOUGHT)
    # 15:59 UTC on 13 Feb is still the 13th in Kuala Lumpur: nothing is due; at 16:07 it is the 14th.
    for moment, invoices in (
        (datetime(2026, 2, 13, 15, 59, tzinfo=UTC), 0),
        (datetime(2026, 2, 13, 16, 7, tzinfo=UTC), 1),
    ):
        with time_machine.travel(moment, tick=False), app.app_context():
            step.run()
        assert len(renewal_invoices(app, service_id)) == invoices
