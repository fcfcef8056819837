"""The console's services list: only the shop's own, filtered by status and due date, sorted by due
date, 50 to a page, in a fixed number of queries, audited under each customer it shows."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import AuditEntry, Service
from tests.console.shop_data import ACME, add_services, agent
from tests.leakguard import find_leaks, response_texts
from tests.steps import owner_client as owner
from tests.steps import shop_id

HTMX = {"HX-Request": "true"}
TODAY = date(2026, 3, 10)  # the shop's date in Kuala Lumpur at 04:00 UTC
NOW = "2026-03-10T04:00:00+00:00"


def _numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/console/services/(\d+)">#', html)]


def _domains(html: str) -> list[str]:
    return re.findall(r"<td>(acme\d{3}\.example\.com)</td>", html)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_list_shows_each_column_and_only_this_shops_services(app, demo, client_for, frozen) -> None:
    add_services(app, 3, first_due=TODAY)
    add_services(app, 5, slug="kedai", first_due=TODAY)
    team = owner(client_for)
    page = team.get("/console/services")
    assert page.status_code == 200
    assert _numbers(page.text) == [1, 2, 3] and "kedai" not in page.text
    row = re.search(
        r"<tr>\s*<td><a href=\"/console/services/2\">#2</a></td>(.*?)</tr>", page.text, re.S
    ).group(1)
    assert "Svcacme Customer 001" in row and "Starter" in row and "acme001.example.com" in row
    assert "Monthly" in row and "RM 12.90" in row and "badge--active" in row and "11 Mar 2026" in row
    assert re.search(r'href="/console/customers/\d+">Svcacme Customer 001', row)
    assert team.get("/console/services/4").status_code == 404  # Kedai has a service #4; Acme does not
    assert team.get("/console/services/99999999999").status_code == 404
    assert not find_leaks(app.config, *response_texts(page))
    assert 'href="/console/services"' in team.get("/console/").text  # in the console's menu


def test_filters_by_each_status(app, demo, client_for, frozen) -> None:
    statuses = ("pending", "active", "suspended", "cancelled", "terminated")
    add_services(app, 10, statuses=statuses, first_due=TODAY)
    team = owner(client_for)
    assert len(_numbers(team.get("/console/services").text)) == 10
    for index, status in enumerate(statuses):
        shown = _numbers(team.get(f"/console/services?status={status}").text)
        assert shown == [index + 1, index + 6], status
    upper = team.get("/console/services?status=ACTIVE")
    assert _numbers(upper.text) == [2, 7]


def test_filters_by_due_date_in_the_shops_calendar(app, demo, client_for, frozen) -> None:
    # Due from 5 Mar (five days ago) to 19 Mar, one a day; the one due 6 Mar has been terminated.
    add_services(app, 15, first_due=TODAY - timedelta(days=5))
    with app.app_context():
        db.session.scalar(select(Service).where(Service.number == 2)).status = "terminated"
        db.session.commit()
    team = owner(client_for)
    overdue = team.get("/console/services?due=overdue").text
    assert _domains(overdue) == [
        "acme000.example.com",
        "acme002.example.com",
        "acme003.example.com",
        "acme004.example.com",
    ]
    assert overdue.count("badge--late") == 4
    within = team.get("/console/services?due=within&days=2").text
    assert _domains(within) == ["acme005.example.com", "acme006.example.com", "acme007.example.com"]
    today_only = team.get("/console/services?due=within&days=0").text
    assert _domains(today_only) == ["acme005.example.com"]
    between = team.get("/console/services?due=between&from=2026-03-06&to=2026-03-08").text
    assert _domains(between) == ["acme002.example.com", "acme003.example.com"]  # not the terminated one
    open_ended = team.get("/console/services?due=between&from=2026-03-18").text
    assert _domains(open_ended) == ["acme013.example.com", "acme014.example.com"]
    latest_first = team.get("/console/services?due=between&to=2026-03-06&sort=due-desc").text
    assert _domains(latest_first) == ["acme000.example.com"]
    everything = _domains(team.get("/console/services?sort=due-desc").text)
    assert everything[0] == "acme014.example.com" and everything[-1] == "acme001.example.com"  # ended last
    combined = team.get("/console/services?status=active&due=overdue").text
    assert len(_domains(combined)) == 4


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=frozen", "Filter services by pending, active, suspended, cancelled or terminated."),
        ("due=soon", "Choose services overdue, due within a number of days"),
        ("due=within", "Enter the number of days as a whole number from 0 to 366."),
        ("due=within&days=-1", "Enter the number of days as a whole number from 0 to 366."),
        ("due=within&days=367", "Enter the number of days as a whole number from 0 to 366."),
        ("due=within&days=%C2%B2", "Enter the number of days as a whole number from 0 to 366."),
        ("due=within&days=" + "9" * 5000, "Enter the number of days as a whole number from 0 to 366."),
        ("due=between", "Enter the first date, the last date, or both."),
        ("due=between&from=2026-02-30", "Write the first date as year-month-day"),
        ("due=between&from=tomorrow", "Write the first date as year-month-day"),
        ("due=between&to=2026-13-01", "Write the last date as year-month-day"),
        ("due=between&from=2026-03-09&to=2026-03-01", "The first date must not be after the last one."),
        ("sort=price", "Sort services by next due date"),
    ],
)
def test_a_filter_that_cannot_be_read_answers_400_with_why(app, demo, client_for, query, message) -> None:
    add_services(app, 2)
    response = owner(client_for).get(f"/console/services?{query}")
    assert response.status_code == 400
    assert message in response.text and 'href="/console/services">Show every service' in response.text
    assert _numbers(response.text) == []


def test_fifty_to_a_page_with_the_filter_kept_in_the_pager(app, demo, client_for, frozen) -> None:
    add_services(app, 120, first_due=TODAY)
    team = owner(client_for)
    first = team.get("/console/services?status=active").text
    assert len(_numbers(first)) == 50 and "Page 1 of 3 · 120 services" in first
    assert 'href="/console/services?page=2&amp;status=active"' in first
    third = _numbers(team.get("/console/services?status=active&page=3").text)
    assert third == list(range(101, 121))
    past = team.get("/console/services?page=9")
    assert past.status_code == 200 and "120 services fit on 3 pages" in past.text
    fragment = team.get("/console/services?page=2", headers=HTMX)
    assert fragment.text.lstrip().startswith('<section id="service-list"') and "<html" not in fragment.text
    assert _numbers(fragment.text)[0] == 51


def test_list_queries_do_not_grow_with_services(app, demo, client_for, count_queries) -> None:
    team = owner(client_for)
    add_services(app, 10)

    def queries(path: str) -> int:
        with count_queries() as statements:
            assert team.get(path).status_code == 200
        return len(statements)

    queries("/console/services")
    few = [queries("/console/services"), queries("/console/services?due=within&days=300&status=active")]
    add_services(app, 190, batch="more")
    page = team.get("/console/services").text
    assert "Page 1 of 4 · 200 services" in page
    many = [queries("/console/services"), queries("/console/services?due=within&days=300&status=active")]
    assert many == few


def test_the_list_is_audited_with_each_customer_on_the_page(app, demo, client_for) -> None:
    add_services(app, 60)
    team = owner(client_for)
    team.get("/console/services?status=active&page=2")
    with app.app_context():
        entries = db.session.execute(
            select(AuditEntry.customer_id, AuditEntry.reason).where(
                AuditEntry.record == "services", AuditEntry.action == "list"
            )
        ).all()
    assert entries[0] == (None, "page 2, status active")
    assert len(entries) == 1 + 10 and all(customer for customer, _ in entries[1:])
    assert all(reason == "page 2, status active" for _, reason in entries)


def test_agents_see_the_list_too(app, demo, client_for) -> None:
    add_services(app, 2)
    helper = agent(app, client_for)
    page = helper.get("/console/services")
    assert page.status_code == 200 and _numbers(page.text) == [1, 2]
    assert 'href="/console/services"' in page.text
    anonymous = client_for(ACME).get("/console/services")
    assert anonymous.status_code == 302 and "/console/login" in anonymous.headers["Location"]
    assert shop_id(app)  # the demo shop answered
