"""The team suspending a service while a payment of its overdue renewal comes in: whichever takes the
service first, it ends renewed once and suspended by the shop (a payment lifts only a suspension for
non-payment). Needs PostgreSQL's row locks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from storefront.billing.shop_actions import suspend_by_shop
from storefront.commerce.sandbox_gateway import charge, handle_callback
from storefront.extensions import db
from storefront.models import Invoice, Reseller, Service, ServiceEvent
from tests.billing.helpers import buy_service, renewal_invoices, run, service_state
from tests.billing.test_races import _at_once

BOUGHT = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)
DOMAINS = ("one.com", "two.com", "three.com", "four.com")


def _events(app, service_id: int, what: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(ServiceEvent.id)).where(
                ServiceEvent.service_id == service_id, ServiceEvent.what == what
            )
        )


@pytest.mark.postgres
@pytest.mark.parametrize("overdue_suspended", [True, False], ids=["suspended-for-non-payment", "active"])
def test_the_teams_suspension_and_a_payment_at_once_end_suspended_by_the_shop(
    app, demo, client_for, overdue_suspended
) -> None:
    services = [buy_service(app, client_for, BOUGHT, domain=domain) for domain in DOMAINS]
    run(app, datetime(2026, 2, 14, 1, tzinfo=UTC), shop_slug="acme")
    if overdue_suspended:
        run(app, datetime(2026, 3, 5, 1, tzinfo=UTC), shop_slug="acme")
    for service_id in services:
        expected = ("suspended", date(2026, 2, 28), "overdue") if overdue_suspended else ("active",)
        assert service_state(app, service_id)[: len(expected)] == expected
        number = renewal_invoices(app, service_id)[0][0]
        with app.app_context():
            invoice = db.session.scalar(select(Invoice).where(Invoice.number == number))
            shop_id = invoice.reseller_id
            body, signature = charge(invoice, "4242 4242 4242 4242")

        def pay(body=body, signature=signature, shop_id=shop_id) -> None:
            with app.app_context():
                assert handle_callback(shop_id, body, signature).result == "paid"

        def suspend(service_id=service_id) -> None:
            with app.app_context():
                shop = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
                suspend_by_shop(shop, db.session.get(Service, service_id), "team:1", "Abuse report")
                db.session.commit()

        _at_once(pay, suspend)
        assert service_state(app, service_id) == ("suspended", date(2026, 3, 31), "staff")
        assert _events(app, service_id, "renewed") == 1
        # The team's change is in the history once, whichever came first: it kept the suspension for
        # non-payment, or it suspended the service the payment had just renewed (and, if it was
        # suspended for non-payment, lifted).
        with app.app_context():
            by_team = db.session.execute(
                select(ServiceEvent.what, ServiceEvent.to_status).where(
                    ServiceEvent.service_id == service_id, ServiceEvent.actor == "team:1"
                )
            ).all()
        assert len(by_team) == 1 and by_team[0][1].value == "suspended"
        if by_team[0][0] == "suspended" and overdue_suspended:
            assert _events(app, service_id, "unsuspended") == 1  # the payment lifted it first
