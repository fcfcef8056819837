"""The console's customers: only the shop's own, searched, paged, each record audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.commerce.payments import mark_bank_transfer_paid
from storefront.extensions import db
from storefront.models import AuditEntry, Customer, Invoice, Ticket
from tests.console.shop_data import (
    ACME,
    add_customers,
    add_orders,
    agent,
    checkout,
    only_order_number,
)
from tests.shop.helpers import sign_in
from tests.shop.privacy_support import add_customer
from tests.steps import customer_id, customer_number, make_ticket, number_of, shop_id
from tests.steps import owner_client as owner

HTMX = {"HX-Request": "true"}


def _names(html: str) -> list[str]:
    return re.findall(r'<a href="/console/customers/\d+">([^<]+)</a>', html)


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        db.session.expunge_all()
        return entries


def test_the_list_shows_only_this_shops_customers_even_with_the_same_email(app, demo, client_for) -> None:
    add_customer(app, "kedai", "twin@example.com", "Twin at Kedai")
    theirs = number_of(app, Customer, add_customer(app, "kedai", "aisyah@example.com", "Aisyah at Kedai"))
    assert theirs > customer_number(app)  # a number Acme has not given
    team = owner(client_for)
    page = team.get("/console/customers")
    assert page.status_code == 200
    assert _names(page.text) == ["Nur Aisyah"] and "aisyah@example.com" in page.text
    assert "Aisyah at Kedai" not in page.text and "raj@example.org" not in page.text
    assert "Kedai" not in team.get("/console/customers?q=aisyah", headers=HTMX).text
    assert team.get(f"/console/customers/{theirs}").status_code == 404
    assert "Aisyah at Kedai" in owner(client_for, "kedai.localhost").get("/console/customers").text


def test_search_matches_name_or_email_fragments_in_any_case(app, demo, client_for) -> None:
    add_customer(app, "acme", "zainal@corp.example", "Zainal Abidin")
    add_customer(app, "acme", "mei@shop.example", "Mei Lin Tan")
    team = owner(client_for)
    assert _names(team.get("/console/customers?q=CORP.ex").text) == ["Zainal Abidin"]
    assert _names(team.get("/console/customers?q=mei+lin").text) == ["Mei Lin Tan"]
    assert _names(team.get("/console/customers?q=%20%20AISYAH%20").text) == ["Nur Aisyah"]
    empty = team.get("/console/customers?q=nobody-like-this").text
    assert _names(empty) == [] and "No customer's name or email contains “nobody-like-this”." in empty


def test_like_wildcards_in_a_search_match_only_themselves(app, demo, client_for) -> None:
    add_customer(app, "acme", "pure@example.com", "100% Pure")
    add_customer(app, "acme", "under_score@example.com", "Under Score")
    add_customer(app, "acme", "plain@example.com", "Plain Person")
    team = owner(client_for)
    assert _names(team.get("/console/customers?q=%25").text) == ["100% Pure"]
    assert _names(team.get("/console/customers?q=_").text) == ["Under Score"]
    assert _names(team.get("/console/customers?q=r_s").text) == ["Under Score"]
    assert _names(team.get("/console/customers?q=%5C").text) == []  # a backslash is text too


@pytest.mark.parametrize(
    "term", ["a" * 5000, "nul\x00byte", "{{7*7}}", "'; DROP TABLE customer; --", "ü" * 300]
)
def test_odd_searches_are_text_not_errors(app, demo, client_for, term) -> None:
    team = owner(client_for)
    response = team.get("/console/customers", query_string={"q": term})
    assert response.status_code == 200
    shown = re.search(r'id="customer-search"[^>]*value="([^"]*)"', response.text).group(1)
    assert len(shown) <= 100


def test_sixty_customers_page_newest_first_or_by_name(app, demo, client_for) -> None:
    add_customers(app, 60)
    team = owner(client_for)
    first = team.get("/console/customers").text
    names = _names(first)
    assert len(names) == 25 and names[0] == "Nur Aisyah" and names[1] == "Bulk Customer 059"
    assert "Page 1 of 3 · 61 customers" in first and 'href="/console/customers?page=2"' in first
    last = _names(team.get("/console/customers?page=3").text)
    assert len(last) == 11 and last[-1] == "Bulk Customer 000"
    by_name = _names(team.get("/console/customers?sort=name&q=bulk&page=2").text)
    assert by_name[0] == "Bulk Customer 025" and by_name[-1] == "Bulk Customer 049"
    for garbage in ("abc", "-3", "0", "", "1.5", "²"):
        assert _names(team.get(f"/console/customers?page={garbage}").text) == names


@pytest.mark.parametrize("page", ["4", "99", "99999999999999999999"])
def test_a_page_past_the_end_is_empty_with_a_message(app, demo, client_for, page) -> None:
    add_customers(app, 60)
    response = owner(client_for).get(f"/console/customers?page={page}")
    assert response.status_code == 200 and _names(response.text) == []
    assert "61 customers fit on 3 pages" in response.text
    assert 'href="/console/customers?page=3">Go to the last page' in response.text


def test_htmx_gets_the_list_fragment_and_a_browser_the_page(app, demo, client_for) -> None:
    team = owner(client_for)
    full = team.get("/console/customers?q=aisyah")
    assert full.text.lstrip().startswith("<!doctype html>") and "Nur Aisyah" in full.text
    assert 'hx-trigger="input changed delay:300ms, search"' in full.text
    assert 'hx-target="#customer-list"' in full.text and 'hx-push-url="true"' in full.text
    assert 'value="aisyah"' in full.text
    fragment = team.get("/console/customers?q=aisyah", headers=HTMX)
    assert fragment.text.lstrip().startswith('<section id="customer-list"') and "<html" not in fragment.text
    assert "Nur Aisyah" in fragment.text and "HX-Request" in fragment.headers["Vary"]
    restore = team.get("/console/customers", headers=HTMX | {"HX-History-Restore-Request": "true"})
    assert restore.text.lstrip().startswith("<!doctype html>")


def test_list_queries_do_not_grow_with_customers_orders_and_tickets(
    app, demo, client_for, count_queries
) -> None:
    team = owner(client_for)

    def queries() -> int:
        with count_queries() as statements:
            assert team.get("/console/customers?q=e").status_code == 200
        return len(statements)

    queries()
    few = queries()
    add_orders(app, 40)
    for number in range(5):
        make_ticket(app, subject=f"Ticket {number}")
    page = team.get("/console/customers?q=aisyah").text
    assert re.search(r"Nur Aisyah</a></td>.*?<td>0</td>\s*<td>5</td>", page, re.S)
    assert queries() == few
    assert "Page 1 of 2 · 41 customers" in team.get("/console/customers?q=e").text


def test_the_record_shows_orders_services_and_tickets(app, demo, client_for) -> None:
    checkout(client_for)
    with app.app_context():
        mark_bank_transfer_paid(db.session.scalar(select(Invoice)), "MBB 1", recorded_by="team:0")
    ticket = number_of(app, Ticket, make_ticket(app, subject="Email not arriving"))
    aisyah = customer_number(app, "aisyah@example.com")
    team = owner(client_for)
    listed = team.get("/console/customers").text
    assert re.search(r"Nur Aisyah</a></td>.*?<td>1</td>\s*<td>1</td>", listed, re.S)
    page = team.get(f"/console/customers/{aisyah}").text
    assert "Nur Aisyah" in page and "aisyah@example.com" in page and "Customer since" in page
    order = only_order_number(app)
    assert f'href="/console/orders/{order}">#{order}</a>' in page
    assert "RM 348.00" in page and "INV-000001 (paid)" in page
    assert "aisyah-bakery.com.my" in page and "Business" in page and "badge--pending" in page
    assert f'href="/console/tickets/{ticket}">Email not arriving</a>' in page and "Your team" in page


def test_every_view_is_audited_and_the_search_term_is_not_kept(app, demo, client_for) -> None:
    aisyah = customer_id(app, "aisyah@example.com")
    team = owner(client_for)
    team.get("/console/customers?q=aisyah%40example&page=2")
    team.get(f"/console/customers/{customer_number(app)}")
    [listed] = _audit(app, "list")
    assert (listed.record, listed.actor_role, listed.reseller_id) == ("customers", "owner", shop_id(app))
    assert listed.reason == "search of 14 characters, page 2" and "aisyah" not in listed.reason
    [viewed] = _audit(app, "view")
    assert (viewed.record, viewed.actor_role) == (f"customer:{aisyah}", "owner")
    assert viewed.actor.startswith("team:") and viewed.request_id


def test_agents_may_see_customers_and_their_views_are_audited(app, demo, client_for) -> None:
    checkout(client_for)
    team = agent(app, client_for)
    assert "Nur Aisyah" in team.get("/console/customers").text
    page = team.get(f"/console/customers/{customer_number(app)}").text
    order = only_order_number(app)
    assert f"#{order}" in page and f'href="/console/orders/{order}"' not in page  # orders are for owners
    assert {entry.actor_role for entry in _audit(app, "view")} == {"agent"}


@pytest.mark.parametrize("path", ["/console/customers/99999", "/console/customers/99999999999999"])
def test_unknown_customers_are_not_found_and_not_audited(app, demo, client_for, path) -> None:
    assert owner(client_for).get(path).status_code == 404
    assert _audit(app, "view") == []


def test_only_the_team_reaches_customers(app, demo, client_for) -> None:
    newest = number_of(app, Customer, add_customer(app, "acme", "second@example.com", "Second Customer"))
    visitor = client_for(ACME)
    assert visitor.get("/console/customers").headers["Location"].startswith("/console/login")
    sign_in(visitor, "aisyah@example.com")
    aisyah = customer_number(app)
    assert visitor.get(f"/console/customers/{aisyah}").headers["Location"].startswith("/console/login")
    kedai = owner(client_for, "kedai.localhost")
    assert newest > customer_number(app, "raj@example.org", "kedai")  # Kedai has no customer numbered so
    page = kedai.get(f"/console/customers/{newest}")
    assert page.status_code == 404 and "Second Customer" not in page.text


def test_hostile_names_are_shown_as_text(app, demo, client_for) -> None:
    evil = add_customer(app, "acme", "evil@example.com", '<script>alert(1)</script>"><img onerror=x> {{7*7}}')
    team = owner(client_for)
    evil = number_of(app, Customer, evil)
    for html in (team.get("/console/customers").text, team.get(f"/console/customers/{evil}").text):
        assert "<script>alert(1)" not in html and "<img onerror" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "{{7*7}}" in html
