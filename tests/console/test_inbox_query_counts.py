"""The console's ticket list costs the same few queries however many tickets a shop has, and audits each."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, insert, select

from storefront.extensions import db
from storefront.models import AuditEntry, Customer, Reseller, Ticket, utcnow
from tests.steps import owner_client


def _add_tickets(app, start: int, count: int) -> None:
    """Open ``count`` tickets in Acme, each from a customer of its own, answers due at different times."""
    with app.app_context():
        shop = db.session.scalar(select(Reseller.id).where(Reseller.slug == "acme"))
        numbers = range(start, start + count)
        customers = db.session.scalars(
            insert(Customer).returning(Customer.id, sort_by_parameter_order=True),
            [
                {"reseller_id": shop, "email": f"asker{i}@example.com", "name": f"Asker {i}"}
                | {"password_hash": "!"}
                for i in numbers
            ],
        ).all()
        db.session.execute(
            insert(Ticket),
            [
                {"reseller_id": shop, "customer_id": customer, "subject": f"Question {i}", "status": "open"}
                | {"reply_token": secrets.token_urlsafe(18)}
                | {"reply_due_at": utcnow() + timedelta(hours=i % 7 - 3)}
                for i, customer in zip(numbers, customers, strict=True)
            ],
        )
        db.session.commit()


def _audit_entries(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry))


def _inbox(app, client, count_queries) -> tuple[str, int, int]:
    """The inbox page, the queries it ran, and the audit entries it wrote."""
    before = _audit_entries(app)
    with count_queries() as statements:
        response = client.get("/console/tickets")
    assert response.status_code == 200
    return response.text, len(statements), _audit_entries(app) - before


def test_ticket_list_query_count_does_not_grow(app, demo, client_for, count_queries) -> None:
    client = owner_client(client_for)
    _add_tickets(app, 0, 3)
    small, with_three, audited_three = _inbox(app, client, count_queries)
    _add_tickets(app, 3, 120)
    large, with_many, audited_many = _inbox(app, client, count_queries)
    assert small.count("Asker ") == 3 and large.count("Asker ") == 50  # a page of fifty
    assert "123 tickets" in large
    # Every customer shown is audited, plus the list itself.
    assert (audited_three, audited_many) == (1 + 3, 1 + 50)
    # The shop, the member, the count, the page of tickets with names, and the audit entries' one insert.
    assert with_three == with_many == 5
