"""The console's home: the owner's month in figures and a 12-month sales chart, in the shop's
time zone, for its own shop only, at a fixed cost; an agent sees the answers the team owes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from storefront.commerce.payments import mark_bank_transfer_paid
from storefront.commerce.statement import month_of
from storefront.extensions import db
from storefront.models import (
    Customer,
    Invoice,
    InvoiceStatus,
    Order,
    Reseller,
    SalesMonth,
    Ticket,
    TicketStatus,
    utcnow,
)
from storefront.models.sales import record_sales
from storefront.money import format_money
from storefront.reporting.dashboard import owner_dashboard
from storefront.support.tickets import set_status
from tests.shop.helpers import sign_in
from tests.staff.escalation_helpers import CUSTOMERS, open_for
from tests.steps import buy_and_pay, customer_id, owner_client, shop_id, team_sign_in

KL = ZoneInfo("Asia/Kuala_Lumpur")
# A fixed clock years after the demo's data: half an hour into March in Kuala Lumpur, still
# February in UTC.
NOW = datetime(2031, 3, 1, 0, 30, tzinfo=KL).astimezone(UTC)


def add_sales(app, slug: str, paid: list[tuple[datetime | None, int]], *, currency: str = "MYR") -> None:
    """Give the shop's demo customer one order and invoice per (paid at, total); None stays unpaid."""
    with app.app_context():
        shop, customer = shop_id(app, slug), _customer(app, slug)
        count = db.session.scalar(select(func.count()).select_from(Order).where(Order.reseller_id == shop))
        orders = db.session.scalars(
            insert(Order).returning(Order.id, sort_by_parameter_order=True),
            [
                {
                    "reseller_id": shop,
                    "customer_id": customer,
                    "status": "paid" if at else "pending_payment",
                    "currency": currency,
                    "total_minor": total,
                    "idempotency_key": f"home-{slug}-{count + i}",
                    "paid_at": at,
                }
                for i, (at, total) in enumerate(paid)
            ],
        ).all()
        db.session.execute(
            insert(Invoice),
            [
                {
                    "reseller_id": shop,
                    "order_id": order,
                    "customer_id": customer,
                    "status": "paid" if at else "issued",
                    "currency": currency,
                    "total_minor": total,
                    "seller_name": "Seller",
                    "seller_address": "Kuala Lumpur",
                    "buyer_name": "Buyer",
                    "buyer_email": "buyer@example.com",
                    "issued_at": at or utcnow(),
                    "paid_at": at,
                }
                for order, (at, total) in zip(orders, paid, strict=True)
            ],
        )
        # Inserted in bulk, past the unit of work: counted into the months as a payment would be.
        record_sales(db.session.connection(), [(shop, at, currency, total) for at, total in paid if at])
        db.session.commit()


def _customer(app, slug: str) -> int:
    return customer_id(app, CUSTOMERS[slug], slug)


def add_customers(app, slug: str, created: list[datetime]) -> None:
    """Sign up customers at the given moments."""
    with app.app_context():
        db.session.execute(
            insert(Customer),
            [
                {
                    "reseller_id": shop_id(app, slug),
                    "email": f"new{i}-{slug}@example.com",
                    "name": f"New {i}",
                    "password_hash": "!",
                    "created_at": at,
                }
                for i, at in enumerate(created)
            ],
        )
        db.session.commit()


def _dashboard(app, slug: str = "acme", now: datetime = NOW):
    with app.app_context():
        return owner_dashboard(db.session.get(Reseller, shop_id(app, slug)), now)


def _figure(page: str, name: str) -> str:
    return unescape(re.search(rf'data-figure="{name}">([^<]*)<', page).group(1)).strip()


def test_sales_fall_in_the_month_of_payment_in_the_shops_time_zone(app, demo) -> None:
    add_sales(
        app,
        "acme",
        [
            (datetime(2031, 3, 1, 0, 10, tzinfo=KL), 5_000),  # this month in Kuala Lumpur, February in UTC
            (datetime(2031, 2, 28, 23, 50, tzinfo=KL), 3_000),  # last month
            (datetime(2031, 2, 1, 0, 0, tzinfo=KL), 1_000),  # last month's first moment
            (datetime(2030, 4, 15, tzinfo=KL), 700),  # the oldest charted month
            (datetime(2030, 3, 31, 23, 59, tzinfo=KL), 9_999),  # thirteen months back: not charted
            (None, 2_500),  # issued, unpaid
            (None, 1_500),
        ],
    )
    add_sales(app, "acme", [(datetime(2031, 3, 1, 1, 0, tzinfo=KL), 4_200)], currency="SGD")  # not the shop's
    add_sales(app, "bluewave", [(datetime(2031, 3, 1, 1, 0, tzinfo=KL), 77_700), (None, 66_600)])

    dashboard = _dashboard(app)

    assert [entry.month.slug for entry in dashboard.months] == [f"2030-{m:02d}" for m in range(4, 13)] + [
        "2031-01",
        "2031-02",
        "2031-03",
    ]
    assert [entry.amount_minor for entry in dashboard.months] == [700] + [0] * 9 + [4_000, 5_000]
    assert (dashboard.this_month.amount_minor, dashboard.last_month.amount_minor) == (5_000, 4_000)
    assert dashboard.change_percent == 25
    assert (dashboard.unpaid_count, dashboard.unpaid_minor) == (2, 4_000)


def test_no_sales_last_month_gives_no_percentage(app, demo) -> None:
    add_sales(app, "acme", [(datetime(2031, 3, 1, 1, 0, tzinfo=KL), 5_000)])
    dashboard = _dashboard(app)
    assert dashboard.last_month.amount_minor == 0 and dashboard.change_percent is None
    add_sales(app, "acme", [(datetime(2031, 2, 10, tzinfo=KL), 10_000)])
    assert _dashboard(app).change_percent == -50


def test_new_customers_count_this_month_and_last_in_the_shops_time_zone(app, demo) -> None:
    add_customers(
        app,
        "acme",
        [
            datetime(2031, 3, 1, 0, 5, tzinfo=KL),  # this month in Kuala Lumpur
            datetime(2031, 2, 28, 23, 55, tzinfo=KL),  # last month
            datetime(2031, 2, 1, 0, 0, tzinfo=KL),
            datetime(2031, 1, 31, 23, 59, tzinfo=KL),  # before last month
        ],
    )
    add_customers(app, "bluewave", [datetime(2031, 3, 1, 0, 5, tzinfo=KL)])
    dashboard = _dashboard(app)
    assert (dashboard.new_customers, dashboard.new_customers_last_month) == (1, 2)


def test_the_home_counts_open_tickets_and_answers_due_or_late(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    before = owner.get("/console/").text
    counts = {name: int(_figure(before, name)) for name in ("open-tickets", "answers-due", "answers-late")}
    open_for(app, "acme", "Due soon")  # answer due within the shop's 8-hour target
    open_for(app, "acme", "Late", hours_ago=30)  # past its deadline
    open_for(app, "acme", "Handed to the platform", escalated=True)  # open, but the platform owes the answer
    closed = open_for(app, "acme", "Settled", hours_ago=40)
    with app.app_context():
        set_status(
            db.session.get(Reseller, shop_id(app)), db.session.get(Ticket, closed), TicketStatus.CLOSED
        )
        db.session.commit()
    open_for(app, "bluewave", "Another shop's late ticket", hours_ago=30)

    page = owner.get("/console/").text

    assert int(_figure(page, "open-tickets")) == counts["open-tickets"] + 3
    assert int(_figure(page, "answers-due")) == counts["answers-due"] + 1
    assert int(_figure(page, "answers-late")) == counts["answers-late"] + 1


def test_the_home_shows_this_months_sales_against_last_months_and_a_chart_with_a_table(
    app, demo, client_for
) -> None:
    now = utcnow()
    month = month_of(now, KL)
    add_sales(
        app,
        "acme",
        [
            (month.starts_at(KL), 123_456),
            (month.shifted(-1).starts_at(KL), 100_000),
            (month.shifted(-11).starts_at(KL) + timedelta(days=3), 50_000),
            (None, 9_900),
        ],
    )
    add_sales(app, "bluewave", [(month.starts_at(KL), 777_700), (None, 666_600)])

    page = owner_client(client_for).get("/console/")

    assert page.status_code == 200
    text = unescape(page.text)
    assert 'aria-current="page">Home</a>' in page.text
    assert _figure(text, "sales-this-month") == "RM 1,234.56"
    assert f"+23% against {month.shifted(-1).label} (RM 1,000.00)" in re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", "", text)
    )
    assert _figure(text, "unpaid") == "1" and "RM 99.00" in text
    # The chart: twelve bars, each with its month and amount spoken; the current month last.
    bars = re.findall(r'<rect class="chart__bar[^"]*"[^>]*><title>([^<]+)</title>', text)
    assert len(bars) == 12
    assert bars[-1] == f"{month.label}: RM 1,234.56"
    assert bars[-2] == f"{month.shifted(-1).label}: RM 1,000.00"
    assert bars[0] == f"{month.shifted(-11).label}: RM 500.00"
    assert 'role="img" aria-labelledby="sales-chart-title sales-chart-desc"' in text
    assert f"Highest: {month.label}, RM 1,234.56." in text
    # The same figures as a table, newest month first.
    table = re.search(r'<table[^>]*id="sales-table".*?</table>', text, re.S).group(0)
    rows = re.findall(r'<th scope="row">([^<]+)</th><td class="num money">([^<]+)</td>', table)
    assert rows[0] == (month.label, "RM 1,234.56") and rows[1] == (month.shifted(-1).label, "RM 1,000.00")
    assert len(rows) == 12
    # Another shop's figures never appear.
    assert "7,777" not in text and "6,666" not in text


def test_another_shops_owner_sees_only_their_own_figures(app, demo, client_for) -> None:
    add_sales(app, "acme", [(utcnow(), 123_456), (None, 9_900)])
    page = unescape(owner_client(client_for, "bluewave.localhost").get("/console/").text)
    assert _figure(page, "sales-this-month") == "RM 0.00"
    assert _figure(page, "unpaid") == "0"
    assert "1,234.56" not in page and "99.00" not in page


def test_an_agent_lands_on_the_tickets_owed_without_the_shops_money(app, demo, client_for) -> None:
    add_sales(app, "acme", [(utcnow(), 123_456), (None, 9_900)])
    open_for(app, "acme", "Late", hours_ago=30)
    agent = client_for("acme.localhost")
    team_sign_in(agent, "agent@acme-hosting.test")
    page = agent.get("/console/")
    assert page.status_code == 200
    assert int(_figure(page.text, "answers-late")) >= 1
    assert "Unpaid invoices" not in page.text and "1,234.56" not in page.text and "<svg" not in page.text
    assert 'href="/console/statement"' not in page.text  # the owners' pages are not offered either


def test_signed_out_visitors_are_sent_to_sign_in(client_for, demo) -> None:
    assert client_for("acme.localhost").get("/console/").headers["Location"].startswith("/console/login")


def test_the_home_costs_the_same_queries_with_ten_orders_or_many(
    app, demo, client_for, count_queries
) -> None:
    owner = owner_client(client_for)
    month = month_of(utcnow(), KL)
    add_sales(app, "acme", [(month.starts_at(KL), 1_000)] * 10)
    with count_queries() as few:
        assert owner.get("/console/").status_code == 200
    spread = [
        (month.shifted(-(i % 12)).starts_at(KL) + timedelta(hours=i % 500), 1_000) for i in range(1_500)
    ]
    add_sales(app, "acme", spread + [(None, 500)] * 500)
    with count_queries() as many:
        page = owner.get("/console/").text
    assert len(many) == len(few)
    assert _figure(page, "unpaid") == "500"


def test_a_payment_counts_in_this_months_sales_as_it_is_recorded(app, demo, client_for) -> None:
    customer = client_for("acme.localhost")
    sign_in(customer, "aisyah@example.com")
    buy_and_pay(customer, "starter", "bakery.com")  # by card, through the shop
    buy_and_pay(customer, "business", "second.com.my")
    add_sales(app, "acme", [(None, 4_321)])  # issued, waiting for a bank transfer
    with app.app_context():
        paid = db.session.scalar(
            select(func.sum(Invoice.total_minor)).where(
                Invoice.reseller_id == shop_id(app), Invoice.status == InvoiceStatus.PAID
            )
        )
        waiting = db.session.scalar(select(Invoice.id).where(Invoice.total_minor == 4_321))
    owner = owner_client(client_for)
    assert paid > 0
    assert _figure(owner.get("/console/").text, "sales-this-month") == format_money(paid, "MYR")
    with app.app_context():  # staff confirm the bank transfer: it joins the month too
        mark_bank_transfer_paid(db.session.get(Invoice, waiting), "MBB 42", "staff:ops@platform.test")
    page = owner.get("/console/").text
    assert _figure(page, "sales-this-month") == format_money(paid + 4_321, "MYR")
    assert _figure(page, "unpaid") == "0"
    with app.app_context():
        counted = db.session.scalars(
            select(SalesMonth.invoices).where(SalesMonth.reseller_id == shop_id(app))
        )
        assert counted.all() == [3]


def test_unpaid_invoices_count_what_is_still_owed_after_account_credit(app, demo) -> None:
    add_sales(app, "acme", [(None, 2_500), (None, 1_500)])
    with app.app_context():
        invoice = db.session.scalar(
            select(Invoice).where(Invoice.total_minor == 2_500, Invoice.status == InvoiceStatus.ISSUED)
        )
        invoice.credit_applied_minor = 1_000  # paid in part from the customer's account credit
        db.session.commit()
    dashboard = _dashboard(app)
    assert (dashboard.unpaid_count, dashboard.unpaid_minor) == (2, 3_000)
