"""The queue's poll answers 204 only while the tickets on screen are the same tickets, unchanged."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from storefront.extensions import db
from storefront.models import Ticket, TicketStatus, utcnow
from tests.staff.escalation_helpers import open_for, staff_client
from tests.staff.test_escalation_queries import _shops, _tickets
from tests.staff.test_escalations import _poll_url

HTMX = {"HX-Request": "true"}


def _set(app, ticket_id: int, **values) -> None:
    """Change a ticket's row directly (``updated_at`` moves to now unless given)."""
    with app.app_context():
        db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(**values))
        db.session.commit()


def test_one_ticket_leaving_as_another_falls_late_changes_the_fingerprint(
    app, demo, client_for, make_staff
) -> None:
    now = utcnow()
    stamp = now - timedelta(hours=30)
    late = open_for(app, "acme", "Late and on screen", hours_ago=30)
    waiting = open_for(app, "kedai", "Not late yet", hours_ago=30)
    _set(app, late, updated_at=stamp, reply_due_at=now - timedelta(hours=2))
    _set(app, waiting, updated_at=stamp, reply_due_at=now + timedelta(hours=2))
    client = staff_client(client_for, make_staff)
    page = client.get("/staff/escalations").text
    assert "Late and on screen" in page and "Not late yet" not in page
    poll = _poll_url(page)
    assert client.get(poll, headers=HTMX).status_code == 204
    # Between two polls the late ticket is resolved and the other one's deadline passes:
    # the count, the latest update, the latest escalation and the number missed all stay the same.
    _set(app, late, status=TicketStatus.RESOLVED, reply_due_at=None, awaiting_reply_since=None)
    _set(app, waiting, reply_due_at=now - timedelta(minutes=1), updated_at=stamp)  # time passing
    changed = client.get(poll, headers=HTMX)
    assert changed.status_code == 200
    assert "Not late yet" in changed.text and "Late and on screen" not in changed.text
    assert client.get(_poll_url(changed.text), headers=HTMX).status_code == 204


def test_a_change_to_a_ticket_on_screen_changes_the_fingerprint(app, demo, client_for, make_staff) -> None:
    first = open_for(app, "acme", "First", escalated=True)
    open_for(app, "kedai", "Second", escalated=True)
    client = staff_client(client_for, make_staff)
    poll = _poll_url(client.get("/staff/escalations").text)
    _set(app, first, priority=2, updated_at=utcnow())
    assert client.get(poll, headers=HTMX).status_code == 200


def test_an_unchanged_poll_costs_three_queries_for_5_or_5000_tickets(
    app, client_for, make_staff, count_queries
) -> None:
    shop_ids = _shops(app, 50)
    client = staff_client(client_for, make_staff)

    def poll_cost() -> int:
        poll = _poll_url(client.get("/staff/escalations?page=2").text)
        with count_queries() as statements:
            assert client.get(poll, headers=HTMX).status_code == 204
        return len(statements)

    _tickets(app, shop_ids, 5, 0)
    few = poll_cost()
    _tickets(app, shop_ids, 4995, 5)
    assert poll_cost() == few == 3  # the signed-in identity, the count, the page's tickets
