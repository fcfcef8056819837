"""The wholesale statement: a month's charges in the shop's time zone, the total, and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, update

from storefront.commerce.statement import spreadsheet_safe
from storefront.extensions import db
from storefront.models import LedgerEntry, LineKind, Order, OrderLine, utcnow
from tests.shop.helpers import sign_in
from tests.steps import buy_and_pay, owner_client, shop_id, team_sign_in

ACME = "acme.localhost"
KL = ZoneInfo("Asia/Kuala_Lumpur")


def _customer(client_for, host: str = ACME, email: str = "aisyah@example.com"):
    client = client_for(host)
    sign_in(client, email)
    return client


def _this_month() -> str:
    return utcnow().astimezone(KL).strftime("%Y-%m")


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    year, number = map(int, month.split("-"))
    following = (year + number // 12, number % 12 + 1)
    return (
        datetime(year, number, 1, tzinfo=KL).astimezone(UTC),
        datetime(*following, 1, tzinfo=KL).astimezone(UTC),
    )


def _ledger_sum(app, slug: str, month: str) -> tuple[int, int]:
    """The shop's wholesale charges in a month, straight from the database: (sum, count)."""
    start, end = _month_bounds(month)
    with app.app_context():
        return db.session.execute(
            select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0), func.count()).where(
                LedgerEntry.reseller_id == shop_id(app, slug),
                LedgerEntry.created_at >= start,
                LedgerEntry.created_at < end,
            )
        ).one()


def _csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def _charged_at(app, description_start: str, moment: datetime) -> None:
    with app.app_context():
        db.session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.description.startswith(description_start))
            .values(created_at=moment)
        )
        db.session.commit()


@pytest.fixture
def sales(app, demo, client_for):
    """Acme sold Starter with bakery.com and Business with second.com.my; Kedai sold Pro (kedai-only.my)."""
    acme = _customer(client_for)
    buy_and_pay(acme, "starter", "bakery.com")
    buy_and_pay(acme, "business", "second.com.my")
    buy_and_pay(_customer(client_for, "kedai.localhost", "raj@example.org"), "pro", "kedai-only.my")


def test_the_statement_lists_this_months_charges_with_their_total(app, sales, client_for) -> None:
    page = owner_client(client_for).get("/console/statement")
    assert page.status_code == 200
    month = datetime.strptime(_this_month(), "%Y-%m").strftime("%B %Y")
    assert f"Total for {month}" in page.text
    for shown in ("Starter", "Business", "Registration of bakery.com for 1 year", "INV-000001", "INV-000002"):
        assert shown in page.text
    total, count = _ledger_sum(app, "acme", _this_month())
    assert (total, count) == (500 + 4500 + 1200 + 8000, 4)
    assert "RM 142.00" in page.text
    assert "kedai-only" not in page.text and "Pro hosting" not in page.text


def test_the_csv_adds_up_to_the_ledger(app, sales, client_for) -> None:
    month = _this_month()
    response = owner_client(client_for).get(f"/console/statement.csv?month={month}")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f"attachment; filename=statement-acme-{month}.csv"
    rows = _csv_rows(response)
    assert list(rows[0]) == ["Date", "Order", "Invoice", "Item", "Description", "Amount", "Currency"]
    total, count = _ledger_sum(app, "acme", month)
    assert len(rows) == count
    assert sum(Decimal(row["Amount"]) * 100 for row in rows) == total
    assert {row["Currency"] for row in rows} == {"MYR"}
    assert {row["Amount"] for row in rows} == {"5.00", "45.00", "12.00", "80.00"}
    assert not any("kedai-only" in value for row in rows for value in row.values())


def test_a_month_follows_the_shops_time_zone(app, sales, client_for) -> None:
    _charged_at(app, "", datetime(2026, 6, 15, tzinfo=UTC))  # every charge out of the way first
    _charged_at(app, "Starter hosting", datetime(2026, 10, 31, 17, 30, tzinfo=UTC))  # 1 Nov, 01:30 in KL
    _charged_at(app, "Registration of bakery.com", datetime(2026, 10, 31, 15, 59, 59, tzinfo=UTC))  # 31 Oct
    _charged_at(app, "Pro hosting", datetime(2025, 1, 15, tzinfo=UTC))  # Kedai's
    owner = owner_client(client_for)
    november = owner.get("/console/statement?month=2026-11").text
    assert "Starter hosting for bakery.com" in november and "Registration of bakery.com" not in november
    assert "1 Nov 2026" in november and "RM 5.00" in november and "Total for November 2026" in november
    october = owner.get("/console/statement?month=2026-10").text
    assert "Registration of bakery.com" in october and "Starter hosting" not in october
    assert "31 Oct 2026" in october and "RM 45.00" in october
    assert (
        'href="/console/statement?month=2026-09"' in october
        and 'href="/console/statement?month=2026-11"' in october
    )
    assert "November 2026" in october and "January 2025" not in october  # months with charges: Acme's only
    [row] = _csv_rows(owner.get("/console/statement.csv?month=2026-11"))
    assert (row["Date"], row["Item"], row["Amount"]) == ("2026-11-01", "Starter", "5.00")
    assert _ledger_sum(app, "acme", "2026-11") == (500, 1)
    empty = owner.get("/console/statement?month=2026-12").text
    assert "No wholesale charges in December 2026." in empty and "RM 0.00" in empty


@pytest.mark.parametrize("page", ["abc", "-1", "0", "+2", "1.5", "99999999999999999999", "\x00", "２"])
def test_a_page_that_cannot_be_read_shows_the_first(app, sales, client_for, page) -> None:
    answer = owner_client(client_for).get("/console/statement", query_string={"page": page})
    assert answer.status_code == 200
    assert "Starter" in answer.text and "RM 142.00" in answer.text


@pytest.mark.parametrize(
    "month",
    ["2026-13", "2026-00", "abc", "2026-1", "26-11", "0000-01", "2026-11-01", "", "２０２６-11", "2026-11x"],
)
def test_a_month_that_cannot_be_read_gets_a_clear_answer(app, demo, client_for, month) -> None:
    owner = owner_client(client_for)
    page = owner.get("/console/statement", query_string={"month": month})
    assert page.status_code == 400
    assert "for example 2026-11" in page.text
    label = datetime.strptime(_this_month(), "%Y-%m").strftime("%B %Y")
    assert f"Showing {label} instead." in page.text
    download = owner.get("/console/statement.csv", query_string={"month": month})
    assert download.status_code == 400 and "for example 2026-11" in download.text
    assert "Content-Disposition" not in download.headers


def test_an_agent_may_not_read_the_statement(app, sales, client_for) -> None:
    agent = client_for(ACME)
    assert team_sign_in(agent, "agent@acme-hosting.test").status_code == 302
    assert agent.get("/console/statement").status_code == 403
    refused = agent.get(f"/console/statement.csv?month={_this_month()}")
    assert refused.status_code == 403 and "Starter" not in refused.text
    assert client_for(ACME).get("/console/statement").headers["Location"].startswith("/console/login")


def test_spreadsheet_formulas_are_neutralised(app, demo, client_for, make_plan, make_offer) -> None:
    evil = make_plan("evil", name='=HYPERLINK("http://x.test","win")', monthly=700)
    make_offer(shop_id(app), evil, {"monthly": 1500})
    buy_and_pay(_customer(client_for), "evil", "evil-site.com")
    owner = owner_client(client_for)
    [hosting, registration] = _csv_rows(owner.get(f"/console/statement.csv?month={_this_month()}"))
    assert hosting["Item"] == '\'=HYPERLINK("http://x.test","win")'
    assert hosting["Description"].startswith("'=HYPERLINK(") and hosting["Amount"] == "7.00"
    assert registration["Item"] == "Registration of evil-site.com for 1 year"
    page = owner.get("/console/statement").text
    assert "=HYPERLINK(&#34;http://x.test&#34;,&#34;win&#34;)" in page


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_quoted(start) -> None:
    assert spreadsheet_safe(f"{start}1+1") == f"'{start}1+1"
    assert spreadsheet_safe(f"a{start}") == f"a{start}"


def test_the_page_runs_the_same_queries_however_many_charges(app, sales, client_for, count_queries) -> None:
    owner = owner_client(client_for)

    def queries() -> int:
        owner.get("/console/statement")
        with count_queries() as statements:
            assert owner.get("/console/statement").status_code == 200
        return len(statements)

    few = queries()
    acme = shop_id(app)
    with app.app_context():
        order = db.session.scalar(select(Order.id).where(Order.reseller_id == acme).limit(1))
        lines = [
            {
                "reseller_id": acme,
                "order_id": order,
                "kind": LineKind.DOMAIN_REGISTRATION,
                "domain": f"bulk{n}.com",
                "description": f"Bulk charge {n}",
                "amount_minor": 6500,
                "wholesale_minor": 4500,
            }
            for n in range(250)
        ]
        db.session.execute(insert(OrderLine), lines)
        added = db.session.execute(
            select(OrderLine.id, OrderLine.description).where(OrderLine.description.startswith("Bulk"))
        )
        now = utcnow()
        db.session.execute(
            insert(LedgerEntry),
            [
                {
                    "reseller_id": acme,
                    "order_id": order,
                    "order_line_id": line_id,
                    "description": description,
                    "amount_minor": 4500,
                    "currency": "MYR",
                    "created_at": now,
                }
                for line_id, description in added
            ],
        )
        db.session.commit()
    assert queries() == few
    page = owner.get("/console/statement").text
    assert "Page 1 of 3 · 254 charges" in page and "RM 11,392.00" in page  # 142.00 + 250 × 45.00
    assert "Bulk charge 249" in owner.get("/console/statement?page=3").text


def test_charges_name_orders_by_the_shops_own_numbers(app, sales, client_for) -> None:
    with app.app_context():
        order_id = db.session.scalar(select(Order.id).where(Order.reseller_id == shop_id(app, "kedai")))
    assert order_id != 1  # Acme's two orders came first
    kedai = owner_client(client_for, "kedai.localhost")
    rows = _csv_rows(kedai.get(f"/console/statement.csv?month={_this_month()}"))
    assert rows and {row["Order"] for row in rows} == {"1"}
    page = kedai.get("/console/statement").text
    assert "<td>1</td>" in page and f"<td>{order_id}</td>" not in page
