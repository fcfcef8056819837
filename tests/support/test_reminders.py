"""The team is warned once before each reply deadline passes."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest

from storefront.models import utcnow
from storefront.support.reminders import send_deadline_reminders
from tests.shop.helpers import outbox
from tests.steps import make_ticket

RUNS, TICKETS = 4, 30


def test_a_ticket_due_soon_warns_the_team_once_per_deadline(app, demo) -> None:
    make_ticket(app, now=utcnow() - timedelta(hours=3, minutes=30))  # Acme: due in 30 minutes
    make_ticket(app, subject="Not yet")  # due in 4 hours
    runner = app.test_cli_runner()
    assert "Warned about 1 ticket." in runner.invoke(args=["tickets", "remind"]).output
    assert "Warned about 0 tickets." in runner.invoke(args=["tickets", "remind"]).output
    warnings = outbox(app, kind="team_deadline_close")
    assert {w.to_address for w in warnings} == {"owner@acme-hosting.test", "agent@acme-hosting.test"}
    assert len(warnings) == 2 and all("Site down" in w.subject for w in warnings)


def test_missed_and_escalated_tickets_are_not_warned_about(app, demo) -> None:
    make_ticket(app, now=utcnow() - timedelta(hours=6))  # already missed: it is on the escalation screen
    assert "Warned about 0 tickets." in app.test_cli_runner().invoke(args=["tickets", "remind"]).output


@pytest.mark.postgres
def test_overlapping_runs_warn_about_each_deadline_once(app, demo) -> None:
    soon = utcnow() - timedelta(hours=3, minutes=30)  # Acme answers within 4 hours: due in 30 minutes
    tickets = [make_ticket(app, subject=f"Site down {n}", now=soon) for n in range(TICKETS)]
    barrier, counts, errors = threading.Barrier(RUNS), [], []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            try:
                counts.append(send_deadline_reminders(timedelta(hours=1)))
            except Exception as error:  # noqa: BLE001 - the assertion below shows it
                errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sum(counts) == len(tickets)
    warnings = outbox(app, kind="team_deadline_close")
    per_ticket = Counter(w.subject for w in warnings)
    assert len(per_ticket) == TICKETS and set(per_ticket.values()) == {2}  # the owner and the agent, once
