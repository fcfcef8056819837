"""Account credit pays renewal invoices first: in full (nothing to do, the service renews), in part
(the rest is what every way to pay charges), and given back when a renewal is paid after the end."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import select

from storefront.billing.life import cancel_open_renewals, end_at_term, keep_renewing, terminate
from storefront.commerce.account_credit import add_credit_entry, credit_balance, lock_customer
from storefront.extensions import db
from storefront.models import CreditSource, Customer, Invoice, Reseller, Service
from tests.billing.helpers import (
    AISYAH,
    buy_service,
    pay_by_card,
    renewal_invoices,
    run,
    service_state,
)
from tests.shop.helpers import outbox

BOUGHT = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)
ISSUE_DAY = datetime(2026, 2, 14, 1, 0, tzinfo=UTC)  # 14 days before the due date of 28 February


def _give_credit(app, amount_minor: int) -> tuple[int, int]:
    """Give Acme's demo customer account credit; return (shop id, customer id)."""
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.email == AISYAH))
        shop = db.session.get(Reseller, customer.reseller_id)
        lock_customer(customer.id)
        add_credit_entry(
            shop.id, customer.id, shop.currency, amount_minor, CreditSource.ADJUSTMENT, "Goodwill", "team:1"
        )
        db.session.commit()
        return shop.id, customer.id


def _balance(app, ids: tuple[int, int]) -> int:
    with app.app_context():
        return credit_balance(*ids, "MYR")


def test_credit_covering_the_renewal_pays_it_and_the_service_renews(app, demo, client_for) -> None:
    service = buy_service(app, client_for, BOUGHT)
    ids = _give_credit(app, 100_000)
    run(app, ISSUE_DAY, shop_slug="acme")
    [(number, start, end, status, total)] = renewal_invoices(app, service)
    assert (start, end, status) == (date(2026, 2, 28), date(2026, 3, 31), "paid")
    assert _balance(app, ids) == 100_000 - total
    assert service_state(app, service)[:2] == ("active", date(2026, 3, 31))
    [email] = outbox(app, to=AISYAH, kind="renewal_invoice")
    assert (
        "Your account credit has paid it in full" in email.text_body
        and "Pay the invoice" not in email.text_body
    )
    # A second run the same day pays and issues nothing more.
    run(app, ISSUE_DAY, shop_slug="acme")
    assert len(renewal_invoices(app, service)) == 1 and _balance(app, ids) == 100_000 - total


def test_credit_covering_part_leaves_the_rest_to_pay_by_card(app, demo, client_for) -> None:
    service = buy_service(app, client_for, BOUGHT)
    ids = _give_credit(app, 100)
    run(app, ISSUE_DAY, shop_slug="acme")
    [(number, _, _, status, total)] = renewal_invoices(app, service)
    assert status == "issued" and _balance(app, ids) == 0
    with app.app_context():
        assert db.session.scalar(select(Invoice.credit_applied_minor).where(Invoice.number == number)) == 100
    [email] = outbox(app, to=AISYAH, kind="renewal_invoice")
    assert "Your account credit paid RM 1.00 of it" in email.text_body
    pay_by_card(client_for, number, datetime(2026, 2, 20, 1, tzinfo=UTC))
    assert renewal_invoices(app, service)[0][3] == "paid"
    assert service_state(app, service)[:2] == ("active", date(2026, 3, 31))


def test_ending_a_service_cancels_its_open_renewal_and_gives_back_the_credit(app, demo, client_for) -> None:
    service = buy_service(app, client_for, BOUGHT)
    ids = _give_credit(app, 100)
    run(app, ISSUE_DAY, shop_slug="acme")
    [(number, _, _, _, total)] = renewal_invoices(app, service)
    assert _balance(app, ids) == 0
    with time_machine.travel(datetime(2026, 2, 16, 1, tzinfo=UTC), tick=False), app.app_context():
        shop = db.session.get(Reseller, ids[0])
        terminate(shop, db.session.get(Service, service), "team:1", "Abuse report")
        db.session.commit()
    assert service_state(app, service)[0] == "terminated"
    assert renewal_invoices(app, service)[0][3] == "cancelled"
    assert _balance(app, ids) == 100  # the credit applied comes back, once
    with app.app_context():
        shop = db.session.get(Reseller, ids[0])
        assert cancel_open_renewals([service], "again") == 0
        db.session.commit()
    assert _balance(app, ids) == 100


def test_a_customer_ending_at_term_is_not_reminded_and_can_change_their_mind(app, demo, client_for) -> None:
    service = buy_service(app, client_for, BOUGHT)
    ids = _give_credit(app, 100)
    run(app, ISSUE_DAY, shop_slug="acme")
    with time_machine.travel(datetime(2026, 2, 15, 1, tzinfo=UTC), tick=False), app.app_context():
        shop = db.session.get(Reseller, ids[0])
        end_at_term(shop, db.session.get(Service, service), f"customer:{ids[1]}", "Moving to a new host")
        db.session.commit()
    assert renewal_invoices(app, service)[0][3] == "cancelled" and _balance(app, ids) == 100
    run(app, datetime(2026, 2, 21, 1, tzinfo=UTC), shop_slug="acme")  # the -7 reminder's day
    assert outbox(app, to=AISYAH, kind="renewal_reminder") == []
    with time_machine.travel(datetime(2026, 2, 22, 1, tzinfo=UTC), tick=False), app.app_context():
        shop = db.session.get(Reseller, ids[0])
        keep_renewing(shop, db.session.get(Service, service), f"customer:{ids[1]}")
        db.session.commit()
    run(app, datetime(2026, 2, 22, 2, tzinfo=UTC), shop_slug="acme")
    statuses = [status for _, _, _, status, _ in renewal_invoices(app, service)]
    assert statuses == ["cancelled", "issued"]  # invoiced again, for the same period
