"""The team is warned once before each reply deadline passes."""

from __future__ import annotations

from datetime import timedelta

from storefront.models import utcnow
from tests.shop.helpers import outbox
from tests.support import make_ticket


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
