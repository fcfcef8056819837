"""Storefront pages, per shop: catalogue, plan detail, privacy notice, contact, errors."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Offer, Plan, Reseller
from storefront.money import format_money

ACME = "acme.localhost"


def prices_on(html: str) -> list[str]:
    return re.findall(r'class="price__amount">([^<]+)<', html)


def test_home_shows_brand_hero_and_featured_plans(demo, client_for) -> None:
    html = client_for(ACME).get("/").text
    assert "<title>Acme Hosting</title>" in html
    assert "Fast, friendly hosting for Malaysian businesses." in html
    assert "Business" in html and "RM 24.90" in html
    assert 'href="/plans"' in html


def test_plans_default_to_monthly_prices(demo, client_for) -> None:
    response = client_for(ACME).get("/plans")
    assert response.status_code == 200
    assert prices_on(response.text) == ["RM 12.90", "RM 24.90", "RM 49.90"]
    assert 'aria-current="true">Monthly<' in response.text


def test_plans_annual_prices_through_the_query(demo, client_for) -> None:
    html = client_for(ACME).get("/plans?cycle=annually").text
    assert prices_on(html) == ["RM 129.00", "RM 249.00", "RM 499.00"]
    assert "RM 10.75 a month · save 17%" in html


@pytest.mark.parametrize(
    "query",
    [
        "?cycle=",
        "?cycle=weekly",
        "?cycle=%00",
        "?cycle=MONTHLY",
        "?cycle=annually&cycle=x",
        "?cycle=" + "a" * 5000,
        "?cycle[]=1",
    ],
)
def test_odd_cycle_values_get_the_default_view(demo, client_for, query: str) -> None:
    response = client_for(ACME).get("/plans" + query)
    assert response.status_code == 200
    assert prices_on(response.text)[0] in ("RM 12.90", "RM 129.00")


def test_htmx_gets_the_plan_grid_fragment(demo, client_for) -> None:
    response = client_for(ACME).get("/plans?cycle=annually", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="plan-grid"')
    assert "<html" not in response.text
    assert prices_on(response.text)[0] == "RM 129.00"
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("header", ["HX-Boosted", "HX-History-Restore-Request"])
def test_boosted_and_history_restore_get_the_full_page(demo, client_for, header: str) -> None:
    response = client_for(ACME).get("/plans", headers={"HX-Request": "true", header: "true"})
    assert "<html" in response.text


def test_cycle_toggle_links_work_without_javascript(demo, client_for) -> None:
    html = client_for(ACME).get("/plans").text
    assert 'href="/plans?cycle=annually" hx-get="/plans?cycle=annually"' in html


def test_plan_detail_lists_features_and_every_cycle(demo, client_for) -> None:
    html = client_for("bluewave.localhost").get("/plans/wordpress").text
    assert "Automatic core and plugin updates" in html
    for label, price in (("Monthly", "RM 19.90"), ("Quarterly", "RM 56.90"), ("Annually", "RM 199.00")):
        assert re.search(rf">{label}</label>\s*</th>\s*<td class=\"amount\">{re.escape(price)}</td>", html)


@pytest.mark.parametrize(
    "code", ["nope", "wordpress", "STARTER%2F..", "..%2F..%2Fetc", "x" * 300, "k%C3%A9dai"]
)
def test_unknown_or_unoffered_plans_get_the_branded_404(demo, client_for, code: str) -> None:
    response = client_for(ACME).get(f"/plans/{code}")  # Acme does not sell WordPress
    assert response.status_code == 404
    assert "Acme Hosting" in response.text and "Page not found" in response.text


def test_plan_codes_are_case_insensitive(demo, client_for) -> None:
    assert client_for(ACME).get("/plans/Starter").status_code == 200


def test_hidden_offers_are_not_listed_or_shown(app, demo, client_for) -> None:
    with app.app_context():
        offer = db.session.scalar(
            select(Offer).join(Plan).join(Reseller).where(Plan.code == "pro", Reseller.slug == "acme")
        )
        offer.visible = False
        db.session.commit()
    client = client_for(ACME)
    assert "RM 49.90" not in client.get("/plans").text
    assert client.get("/plans/pro").status_code == 404


def test_empty_catalogue_says_so(client_for, make_reseller) -> None:
    make_reseller("empty")
    html = client_for("empty.localhost").get("/plans").text
    assert "No plans are on sale right now" in html


def test_privacy_notice_names_the_reseller_as_responsible(demo, client_for) -> None:
    html = client_for("kedai.localhost").get("/privacy").text
    assert "<strong>Kedai Hosting Enterprise</strong>, trading as Kedai Hosting" in html
    assert "responsible for it" in html
    assert "support@kedaihosting.test" in html
    assert "see the personal data we hold about you and to have it corrected" in html
    assert "Personal Data Protection Act 2010" in html


def test_contact_page_shows_support_channels(demo, client_for) -> None:
    html = client_for("bluewave.localhost").get("/contact").text
    assert 'href="mailto:support@bluewave-web.test"' in html
    assert 'href="tel:+6049876543"' in html
    assert "Every day 8:00–22:00" in html
    assert "within 2 hours" in html


def test_robots_txt_keeps_crawlers_out_of_private_areas(demo, client_for) -> None:
    response = client_for(ACME).get("/robots.txt")
    assert response.mimetype == "text/plain"
    assert "Disallow: /account" in response.text and "Disallow: /console" in response.text


def test_branded_404_and_405(demo, client_for) -> None:
    client = client_for("kedai.localhost")
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Kedai Hosting" in missing.text
    wrong_method = client.post("/plans")
    assert wrong_method.status_code in (400, 405)
    assert "Kedai Hosting" in wrong_method.text


def test_an_exception_shows_the_shops_500_page_without_a_trace(app, demo, client_for) -> None:
    def explode() -> str:
        raise RuntimeError("database host db-internal.example exploded")

    app.add_url_rule("/explode", "explode", explode)
    response = client_for("bluewave.localhost").get("/explode")
    assert response.status_code == 500
    assert "BlueWave Web" in response.text and "Something went wrong" in response.text
    assert "db-internal" not in response.text and "Traceback" not in response.text


def test_healthz_answers_on_shop_and_staff_hosts(demo, client_for) -> None:
    assert client_for(ACME).get("/healthz").json == {"status": "ok"}
    assert client_for("staff.localhost").get("/healthz").json == {"status": "ok"}


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1290, "MYR", "RM 12.90"),
        (0, "MYR", "RM 0.00"),
        (123456789, "MYR", "RM 1,234,567.89"),
        (5, "MYR", "RM 0.05"),
        (-250, "MYR", "-RM 2.50"),
        (1000, "SGD", "S$ 10.00"),
        (1500, "EUR", "EUR 15.00"),
        (15000, "IDR", "Rp 15,000"),
    ],
)
def test_money_is_shown_as_people_read_it(amount: int, currency: str, text: str) -> None:
    assert format_money(amount, currency) == text
