"""Steps for billing tests: a service bought and set up through the shop, paying its invoices, running
the billing run, and reading a service's state, invoices, history and emails."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlsplit

import time_machine
from sqlalchemy import select

from storefront.billing.run import run_billing
from storefront.commerce.payments import mark_bank_transfer_paid
from storefront.extensions import db
from storefront.fulfilment.provisioning import activate
from storefront.models import (
    Invoice,
    InvoicePurpose,
    OutboxMessage,
    Reseller,
    Service,
    ServiceEvent,
)
from tests.shop.helpers import csrf_from, sign_in
from tests.steps import buy_and_pay, place_order

AISYAH = "aisyah@example.com"


def buy_service(app, client_for, when: datetime, domain: str = "anchored.com", plan: str = "starter") -> int:
    """As Acme's demo customer at ``when``: buy a plan monthly and pay by card; staff set it up. Return
    the service's id."""
    with time_machine.travel(when, tick=False):
        client = client_for("acme.localhost")
        sign_in(client, AISYAH)
        buy_and_pay(client, plan, domain)
        with app.app_context():
            service_id = db.session.scalar(select(Service.id).where(Service.domain == domain))
            activate(service_id, "web1", "anchored1")
    return service_id


def pay_by_card(client_for, number: int, when: datetime) -> None:
    """As Acme's demo customer at ``when``: pay invoice ``number`` by the test card."""
    with time_machine.travel(when, tick=False):
        client = client_for("acme.localhost")
        sign_in(client, AISYAH)
        page = client.get(f"/account/invoices/{number}")
        token = csrf_from(page.text)
        moved = client.post(f"/account/invoices/{number}/pay/card", data={"csrf_token": token})
        assert moved.status_code == 303, moved.text
        path = urlsplit(moved.headers["Location"]).path
        paid = client.post(path, data={"csrf_token": token, "card_number": "4242424242424242"})
        assert paid.status_code == 303, paid.text


def pay_by_bank_transfer(app, number: int, when: datetime) -> None:
    """As the payments desk at ``when``: record a bank transfer for Acme's invoice ``number``."""
    with time_machine.travel(when, tick=False), app.app_context():
        invoice = db.session.scalar(
            select(Invoice).join(Reseller).where(Reseller.slug == "acme", Invoice.number == number)
        )
        mark_bank_transfer_paid(invoice, f"BANK-{number}", "staff:desk@platform.test")


def run(app, when: datetime | None = None, **options):
    """Run the billing run (at ``when``, if given); return its reports."""
    if when is None:
        with app.app_context():
            return run_billing(**options)
    with time_machine.travel(when, tick=False), app.app_context():
        return run_billing(**options)


def service_state(app, service_id: int) -> tuple[str, date | None, str | None]:
    """Return a service's status, next due date and suspension reason."""
    with app.app_context():
        service = db.session.get(Service, service_id)
        reason = service.suspension_reason.value if service.suspension_reason else None
        return service.status.value, service.next_due_on, reason


def renewal_invoices(app, service_id: int) -> list[tuple[int, date, date, str, int]]:
    """Return (number, period start, period end, status, total) of a service's renewal invoices."""
    with app.app_context():
        rows = db.session.execute(
            select(
                Invoice.number, Invoice.period_start, Invoice.period_end, Invoice.status, Invoice.total_minor
            )
            .where(Invoice.service_id == service_id, Invoice.purpose == InvoicePurpose.RENEWAL)
            .order_by(Invoice.period_start)
        )
        return [(n, start, end, status.value, total) for n, start, end, status, total in rows]


def history(app, service_id: int) -> list[tuple[str, str, str | None]]:
    """Return (what, actor, new status) of each change in a service's history, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(ServiceEvent.what, ServiceEvent.actor, ServiceEvent.to_status)
            .where(ServiceEvent.service_id == service_id)
            .order_by(ServiceEvent.at, ServiceEvent.id)
        )
        return [(what, actor, status.value if status else None) for what, actor, status in rows]


BILLING_KINDS = (
    "renewal_invoice",
    "renewal_reminder",
    "service_suspended",
    "termination_warning",
    "service_terminated",
    "service_ended",
    "order_cancelled",
    "price_change_notice",
    "renewal_receipt",
    "service_change",
)


def billing_emails(app) -> list[tuple[str, str]]:
    """Return (kind, subject) of every billing email queued, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.kind, OutboxMessage.subject)
            .where(OutboxMessage.kind.in_(BILLING_KINDS))
            .order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in rows]


def queue_every_billing_email(app, client_for) -> None:
    """Have the billing run and the service verbs queue each kind of billing email once, for Acme's
    demo customer: invoice, reminder, suspension, warning, termination, receipt, ending at term,
    a cancelled order, a price-change notice and the confirmation of a change the customer made."""
    from datetime import UTC, timedelta

    from storefront.billing.customer_requests import set_auto_renew
    from storefront.billing.life import end_at_term
    from storefront.billing.price_changes import schedule_price_change

    bought = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)
    lapsing = buy_service(app, client_for, bought, domain="lapsing.com")
    ending = buy_service(app, client_for, bought, domain="ending.com")
    paying = buy_service(app, client_for, bought, domain="paying.com")
    with time_machine.travel(bought + timedelta(days=1), tick=False), app.app_context():
        shop = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        end_at_term(shop, db.session.get(Service, ending), "customer:1", "no longer needed")
        set_auto_renew(shop, db.session.get(Service, lapsing), False, "customer:1")
        set_auto_renew(shop, db.session.get(Service, lapsing), True, "customer:1")
        schedule_price_change(shop, db.session.get(Service, lapsing), 1590, date(2026, 4, 1), "team:1")
        db.session.commit()
    with time_machine.travel(bought, tick=False):
        client = client_for("acme.localhost")
        sign_in(client, AISYAH)
        place_order(client, "starter", "unpaid.com", choice="existing")
    for day in (14, 21, 28):
        run(app, datetime(2026, 2, day, 1, tzinfo=UTC), shop_slug="acme")
        if day == 14:  # the paying customer pays the day after the invoice: a receipt
            pay_by_card(client_for, renewal_invoices(app, paying)[0][0], datetime(2026, 2, 15, 1, tzinfo=UTC))
    for day in (5, 23, 30):
        run(app, datetime(2026, 3, day, 1, tzinfo=UTC), shop_slug="acme")
    assert service_state(app, lapsing)[0] == "terminated"
