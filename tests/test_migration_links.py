"""Upgrading links the emails already in the outbox to their ticket and customer, once."""

from __future__ import annotations

from datetime import timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Customer, OutboxMessage, Reseller, utcnow
from storefront.privacy.privacy_centre import ask_correction
from storefront.support.reminders import send_deadline_reminders
from tests.steps import make_ticket, upgraded_demo_app


def test_the_upgrade_links_emails_queued_before_it(tmp_path) -> None:
    app = upgraded_demo_app(tmp_path / "upgrade.db")
    make_ticket(app, now=utcnow() - timedelta(hours=3, minutes=30))
    with app.app_context():
        send_deadline_reminders()
        customer = db.session.scalar(select(Customer).where(Customer.email == "raj@example.org"))
        ask_correction(
            db.session.get(Reseller, customer.reseller_id),
            customer,
            "other",
            "My name is Raj Kumar a/l Muthu.",
        )
        linked = {
            row.id: (row.kind, row.customer_id, row.ticket_id)
            for row in db.session.scalars(select(OutboxMessage))
        }
        db.session.commit()
        downgrade(revision="0007")  # ... and read back from the emails themselves on the way up
        upgrade()
        relinked = {
            row.id: (row.kind, row.customer_id, row.ticket_id)
            for row in db.session.scalars(select(OutboxMessage))
        }
        db.engine.dispose()
    kinds = {kind for kind, _, _ in linked.values()}
    assert {"ticket_received", "team_ticket_new", "team_deadline_close", "team_correction_request"} <= kinds
    assert all(customer_id for _, customer_id, _ in linked.values())
    assert relinked == linked
