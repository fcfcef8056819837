"""The escalation screen costs the same queries with 5 tickets as with 5,000 across 50 shops."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import insert, select

from storefront.extensions import db
from storefront.models import Escalation, Reseller, Ticket, TicketStatus, TicketTier, utcnow
from tests.staff.escalation_helpers import staff_client

HTMX = {"HX-Request": "true"}


def _shops(app, count: int) -> list[int]:
    with app.app_context():
        db.session.execute(
            insert(Reseller),
            [
                {
                    "slug": f"shop{n:03d}",
                    "brand_name": f"Shop {n:03d}",
                    "legal_name": f"Shop {n:03d} Sdn. Bhd.",
                    "support_email": f"help@shop{n:03d}.test",
                }
                for n in range(count)
            ],
        )
        db.session.commit()
        return list(db.session.scalars(select(Reseller.id).order_by(Reseller.id)))


def _tickets(app, shop_ids: list[int], count: int, start: int) -> None:
    """Insert ``count`` tickets spread over the shops: a third escalated, the rest late or quiet."""
    now = utcnow()
    rows, escalated = [], []
    for n in range(start, start + count):
        tier = TicketTier.PLATFORM if n % 3 == 0 else TicketTier.RESELLER
        opened = now - timedelta(hours=1 + (n * 13) % 72)
        rows.append(
            {
                "reseller_id": shop_ids[n % len(shop_ids)],
                "guest_email": f"guest{n}@example.com",
                "subject": f"Ticket {n}",
                "status": TicketStatus.ESCALATED if tier == TicketTier.PLATFORM else TicketStatus.OPEN,
                "tier": tier,
                "priority": n % 3,
                "reply_token": secrets.token_urlsafe(18),
                "awaiting_reply_since": opened,
                "reply_due_at": opened + timedelta(hours=8),
                "escalated_at": opened if tier == TicketTier.PLATFORM else None,
                "created_at": opened,
                "updated_at": opened,
            }
        )
    with app.app_context():
        ids = db.session.scalars(
            insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), rows
        ).all()
        for ticket_id, row in zip(ids, rows, strict=True):
            if row["tier"] == TicketTier.PLATFORM:
                escalated.append(
                    {
                        "reseller_id": row["reseller_id"],
                        "ticket_id": ticket_id,
                        "by": "customer",
                        "reason": "asked",
                    }
                )
        db.session.execute(insert(Escalation), escalated)
        db.session.commit()


def _costs(client, count_queries, paths: dict[str, dict]) -> dict[str, int]:
    costs = {}
    for path, headers in paths.items():
        client.get(path, headers=headers)  # compile templates first
        with count_queries() as statements:
            response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        costs[path] = len(statements)
    return costs


def test_the_queue_costs_the_same_queries_for_5_or_5000_tickets(
    app, client_for, make_staff, count_queries
) -> None:
    shop_ids = _shops(app, 50)
    client = staff_client(client_for, make_staff)
    paths = {
        "/staff/escalations": {},
        f"/staff/escalations?shop={shop_ids[1]}": {},
        f"/staff/escalations?shop={shop_ids[1]}&reason=missed&assignee=unassigned": HTMX,
        "/staff/escalations?page=2": HTMX,
    }
    _tickets(app, shop_ids, 5, 0)
    few = _costs(client, count_queries, paths)
    _tickets(app, shop_ids, 4995, 5)
    many = _costs(client, count_queries, paths)
    assert many == few
    assert max(few.values()) <= 7  # identity, fingerprint and count, page, reasons, shops, staff, audit
    page = client.get("/staff/escalations").text
    assert page.count('class="queue__id"') == 50 and "page 1 of" in page
    with count_queries() as statements:
        poll = client.get("/staff/escalations?since=nothing-matches", headers=HTMX)
    assert poll.status_code == 200 and len(statements) == few["/staff/escalations?page=2"]
