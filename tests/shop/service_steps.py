"""Steps for the service page tests: Acme's demo customer with a Starter service bought on 31 Jan 2026
(anchor day 31, first due 28 Feb), signed in at a chosen moment, posting the page's forms."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from sqlalchemy import func, select

from storefront.commerce.account_credit import credit_balance
from storefront.extensions import db
from storefront.models import Invoice, InvoicePurpose, Plan, Service
from tests.billing.helpers import AISYAH, buy_service
from tests.shop.helpers import csrf_from, sign_in
from tests.steps import customer_id, number_of, shop_id

BOUGHT = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)  # 09:00 on 31 Jan in Kuala Lumpur
MID_FEBRUARY = datetime(2026, 2, 10, 2, 0, tzinfo=UTC)  # 10 Feb: 18 of the period's 28 days are left


def bought_service(app, client_for, domain: str = "anchored.com", plan: str = "starter") -> tuple[int, int]:
    """Buy and set up a service for Aisyah; return (its id, its number in the shop)."""
    service_id = buy_service(app, client_for, BOUGHT, domain=domain, plan=plan)
    return service_id, number_of(app, Service, service_id)


def signed_in(client_for, host: str = "acme.localhost", email: str = AISYAH):
    """A client signed in as a shop's demo customer."""
    client = client_for(host)
    sign_in(client, email)
    return client


def post_on_page(client, number: int, action: str, data: dict | None = None):
    """Post one of the service page's forms with the page's CSRF token."""
    token = csrf_from(client.get(f"/account/services/{number}").text)
    return client.post(f"/account/services/{number}/{action}", data={"csrf_token": token, **(data or {})})


def confirm_plan_change(client, number: int, plan: str):
    """Open the review page of a move to ``plan`` and post its confirmation form as shown."""
    import re

    page = client.get(f"/account/services/{number}/change-plan?plan={plan}")
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'name="(plan|current_plan|quoted|csrf_token)" value="([^"]*)"', page.text))
    return client.post(f"/account/services/{number}/change-plan", data=fields), fields


def plan_of(app, service_id: int) -> tuple[str, int, object]:
    """Return the service's plan code, recurring price and next due date."""
    with app.app_context():
        service = db.session.get(Service, service_id)
        return db.session.get(Plan, service.plan_id).code, service.recurring_minor, service.next_due_on


def plan_change_invoices(app, service_id: int) -> list[tuple[int, str, int]]:
    """Return (number, status, total) of the service's plan-change invoices, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(Invoice.number, Invoice.status, Invoice.total_minor)
            .where(Invoice.service_id == service_id, Invoice.purpose == InvoicePurpose.PLAN_CHANGE)
            .order_by(Invoice.number)
        )
        return [(number, status.value, total) for number, status, total in rows]


def balance(app, email: str = AISYAH) -> int:
    """Aisyah's account credit at Acme, in sen."""
    with app.app_context():
        return credit_balance(shop_id(app), customer_id(app, email), "MYR")


def invoice_count(app) -> int:
    """How many invoices exist."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Invoice))


def at(moment: datetime):
    """Travel to ``moment`` with the clock stopped."""
    return time_machine.travel(moment, tick=False)
