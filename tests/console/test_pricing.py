"""Retail pricing in the console: live margins, all-or-nothing saves, visibility, order, domains."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from storefront.catalog.pricing import PriceError, decimal_text, parse_money
from storefront.extensions import db
from storefront.models import (
    AuditEntry,
    DomainOffer,
    Invoice,
    Offer,
    OfferPrice,
    Order,
    Plan,
    PlanPrice,
    Reseller,
)
from tests.shop.helpers import csrf_from
from tests.shop.test_checkout import cart_with, checkout_form, signed_in_with_cart
from tests.steps import owner_client, shop_id, team_sign_in

ACME = "acme.localhost"
KEDAI = "kedai.localhost"


class _FormReader(HTMLParser):
    """Collects the fields one form of a page would submit: text inputs and ticked boxes."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        elif tag == "input" and self.inside and attributes.get("name") and self._submitted(attributes):
            self.fields[attributes["name"]] = attributes.get("value") or ""

    @staticmethod
    def _submitted(attributes: dict) -> bool:
        return attributes.get("type") != "checkbox" or "checked" in attributes

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def _form(client, form_id: str = "plan-prices") -> dict[str, str]:
    reader = _FormReader(form_id)
    reader.feed(client.get("/console/pricing").text)
    return reader.fields


def _plan(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Plan.id).where(Plan.code == code))


def _prices(app, slug: str = "acme") -> dict[tuple[str, str], int]:
    """The shop's retail prices straight from the database, by plan code and cycle."""
    with app.app_context():
        rows = db.session.execute(
            select(Plan.code, OfferPrice.cycle, OfferPrice.amount_minor)
            .join(Offer, Offer.id == OfferPrice.offer_id)
            .join(Plan, Plan.id == Offer.plan_id)
            .where(Offer.reseller_id == shop_id(app, slug))
        )
        return {(code, cycle.value): amount for code, cycle, amount in rows}


def _offers(app, slug: str = "acme") -> list[tuple[str, bool, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(Plan.code, Offer.visible, Offer.position)
            .join(Plan, Plan.id == Offer.plan_id)
            .where(Offer.reseller_id == shop_id(app, slug))
            .order_by(Plan.code)
        )
        return [tuple(row) for row in rows]


def _snapshot(app) -> tuple:
    with app.app_context():
        revisions = tuple(db.session.scalars(select(Reseller.revision).order_by(Reseller.id)))
        wholesale = tuple(db.session.execute(select(PlanPrice.id, PlanPrice.amount_minor)).all())
        domains = tuple(db.session.execute(select(DomainOffer.id, DomainOffer.amount_minor)).all())
    return (
        _prices(app),
        _prices(app, "kedai"),
        _offers(app),
        _offers(app, "kedai"),
        revisions,
        wholesale,
        domains,
    )


def _margin(client, app, code: str, cycle: str, typed: str):
    plan = _plan(app, code)
    return client.get(
        f"/console/pricing/margin?plan={plan}&cycle={cycle}&price-{plan}-{cycle}={typed}",
        headers={"HX-Request": "true"},
    )


# Reading money


@pytest.mark.parametrize(
    ("typed", "minor"),
    [("12.90", 1290), ("12", 1200), ("1,200.00", 120000), (" 7.5 ", 750), ("0", 0), ("10,000,000.00", 10**9)],
)
def test_amounts_people_type_become_minor_units(typed, minor) -> None:
    assert parse_money(typed) == minor
    assert parse_money(decimal_text(minor)) == minor


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "cannot be negative"),
        ("-0.01", "cannot be negative"),
        ("12.345", "at most 2 decimal places"),
        ("10000000.01", "at most RM 10,000,000.00"),
        ("9" * 30, "at most RM 10,000,000.00"),
        ("abc", "as a number"),
        ("NaN", "as a number"),
        ("inf", "as a number"),
        ("1e3", "as a number"),
        ("12,34", "as a number"),
        ("١٢", "as a number"),
        ("", "as a number"),
    ],
)
def test_amounts_that_are_not_prices_are_refused_with_a_reason(typed, message) -> None:
    with pytest.raises(PriceError, match=message):
        parse_money(typed)


# The page and the live margin


def test_the_page_shows_wholesale_retail_and_margin_for_every_plan_and_cycle(app, demo, client_for) -> None:
    page = owner_client(client_for).get("/console/pricing")
    assert page.status_code == 200
    starter = _plan(app, "starter")
    assert f'name="price-{starter}-monthly" value="12.90"' in page.text
    assert "Wholesale RM 5.00" in page.text and "Margin RM 7.90 (61.2%)" in page.text
    assert (
        f'name="price-{starter}-quarterly" value=""' in page.text
    )  # the platform prices it; Acme does not sell it
    assert "WordPress" in page.text and "not offered yet" in page.text
    assert 'hx-trigger="input changed delay:250ms"' in page.text
    assert ".com.my" in page.text and 'name="domain-com.my" value="99.00"' in page.text


def test_the_margin_preview_answers_as_the_owner_types_and_saves_nothing(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    before = _snapshot(app)
    ok = _margin(owner, app, "starter", "monthly", "15.00")
    assert ok.status_code == 200 and ok.text.startswith("<output")
    assert "Margin RM 10.00 (66.7%)" in ok.text and "<html" not in ok.text
    below = _margin(owner, app, "starter", "monthly", "4.99")
    assert below.status_code == 200
    assert "RM 4.99 is below the wholesale price of RM 5.00." in below.text
    garbage = _margin(owner, app, "starter", "monthly", "<b>cheap</b>")
    assert "Please enter the price as a number" in garbage.text and "<b>" not in garbage.text
    assert "Not sold" in _margin(owner, app, "wordpress", "quarterly", "").text
    assert _snapshot(app) == before


def test_the_margin_preview_needs_a_plan_and_cycle_the_platform_prices(
    app, demo, client_for, make_plan
) -> None:
    owner = owner_client(client_for)
    starter = _plan(app, "starter")
    retired = make_plan("retired", active=False)
    assert owner.get(f"/console/pricing/margin?plan={starter}&cycle=weekly").status_code == 404
    assert owner.get(f"/console/pricing/margin?plan={retired}&cycle=monthly").status_code == 404
    assert owner.get("/console/pricing/margin?plan=99999999999&cycle=monthly").status_code == 404
    assert owner.get("/console/pricing/margin?plan=x&cycle=monthly").status_code == 404
    domain = owner.get("/console/pricing/domains/margin?tld=com&domain-com=40.00")
    assert "below the wholesale price of RM 45.00" in domain.text
    assert owner.get("/console/pricing/domains/margin?tld=nope").status_code == 404
    # A NUL byte, which PostgreSQL cannot take in a text parameter, is just another unknown ending.
    assert owner.get("/console/pricing/domains/margin?tld=co%00m").status_code == 404
    assert owner.get(f"/console/pricing/domains/margin?tld={'x' * 5000}").status_code == 404


# Saving


def test_saving_prices_changes_the_shop_at_once_and_is_audited(app, demo, client_for) -> None:
    visitor = client_for(ACME)
    assert "RM 12.90" in visitor.get("/plans").text  # now cached for this revision
    owner = owner_client(client_for)
    starter, wordpress = _plan(app, "starter"), _plan(app, "wordpress")
    form = _form(owner) | {
        f"price-{starter}-monthly": "13.90",
        f"price-{wordpress}-monthly": "1,019.00",
        f"visible-{wordpress}": "1",
    }
    saved = owner.post("/console/pricing", data=form, follow_redirects=True)
    assert saved.status_code == 200 and "Prices saved" in saved.text
    prices = _prices(app)
    assert prices[("starter", "monthly")] == 1390 and prices[("wordpress", "monthly")] == 101900
    assert ("wordpress", "annually") not in prices
    plans = visitor.get("/plans").text
    assert "RM 13.90" in plans and "RM 12.90" not in plans and "WordPress" in plans
    assert "RM 1,019.00" in plans
    with app.app_context():
        entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "prices")))
    reasons = " ".join(entry.reason for entry in entries)
    assert len(entries) == 2 and "monthly RM 12.90 to RM 13.90" in reasons and "wordpress: offered" in reasons
    assert all(entry.actor.startswith("team:") and entry.actor_role == "owner" for entry in entries)


def test_an_empty_price_stops_selling_that_cycle(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    starter = _plan(app, "starter")
    owner.post("/console/pricing", data=_form(owner) | {f"price-{starter}-annually": ""})
    assert ("starter", "annually") not in _prices(app) and ("starter", "monthly") in _prices(app)
    annual = client_for(ACME).get("/plans?cycle=annually").text
    assert "RM 249.00" in annual and "RM 129.00" not in annual and "Not sold annually" in annual


def test_a_shown_plan_needs_at_least_one_price(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    starter = _plan(app, "starter")
    form = _form(owner) | {f"price-{starter}-monthly": "", f"price-{starter}-annually": ""}
    before = _snapshot(app)
    refused = owner.post("/console/pricing", data=form)
    assert refused.status_code == 400
    assert "To show Starter in the shop, give it a price for at least one billing cycle." in refused.text
    assert _snapshot(app) == before


def test_a_price_below_wholesale_refuses_the_whole_form(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    starter, business = _plan(app, "starter"), _plan(app, "business")
    before = _snapshot(app)
    form = _form(owner) | {f"price-{starter}-monthly": "4.00", f"price-{business}-monthly": "30.00"}
    refused = owner.post("/console/pricing", data=form)
    assert refused.status_code == 400
    assert "Nothing was saved." in refused.text
    assert "Starter, monthly: RM 4.00 is below the wholesale price of RM 5.00." in refused.text
    assert f'name="price-{business}-monthly" value="30.00"' in refused.text  # what was typed stays
    assert "Margin RM 18.00 (60.0%)" in refused.text  # the valid cell still shows its margin
    assert _snapshot(app) == before


@pytest.mark.parametrize(
    "typed",
    ["-1", "-0.01", "12.999", "0.001", "10000000.01", "123456789012345678901234567890", "abc", "NaN", "inf"],
)
def test_prices_that_are_not_amounts_are_refused_with_nothing_saved(app, demo, client_for, typed) -> None:
    owner = owner_client(client_for)
    starter, business = _plan(app, "starter"), _plan(app, "business")
    form = _form(owner) | {f"price-{business}-annually": "299.00", f"price-{starter}-monthly": typed}
    before = _snapshot(app)
    refused = owner.post("/console/pricing", data=form)
    assert refused.status_code == 400 and "Nothing was saved." in refused.text
    assert "Starter, monthly:" in refused.text
    assert _snapshot(app) == before


def test_a_free_plan_price_is_refused_even_at_zero_wholesale(app, demo, client_for, make_plan) -> None:
    """An order of RM 0.00 could never be paid (payments are more than zero): marking it paid was a 500."""
    owner = owner_client(client_for)
    free = make_plan("freebie", monthly=0, annually=None)
    before = _snapshot(app)
    refused = owner.post("/console/pricing", data=_form(owner) | {f"price-{free}-monthly": "0.00"})
    assert refused.status_code == 400 and "Nothing was saved." in refused.text
    assert "Freebie, monthly: A plan&#39;s price must be more than zero" in refused.text
    assert _snapshot(app) == before
    assert "must be more than zero" in _margin(owner, app, "freebie", "monthly", "0").text


def test_extra_fields_are_ignored(app, demo, client_for, make_plan) -> None:
    owner = owner_client(client_for)
    kedai = shop_id(app, "kedai")
    starter = _plan(app, "starter")
    retired = make_plan("retired", active=False)
    with app.app_context():
        kedai_offer = db.session.scalar(select(Offer.id).where(Offer.reseller_id == kedai))
    before = _snapshot(app)
    form = _form(owner) | {
        f"price-{starter}-monthly": "14.00",
        "wholesale": "1",
        f"wholesale-{starter}-monthly": "1",
        "reseller_id": str(kedai),
        "offer_id": str(kedai_offer),
        "currency": "USD",
        "amount_minor": "1",
        f"price-{retired}-monthly": "1.00",
        f"visible-{retired}": "1",
    }
    assert owner.post("/console/pricing", data=form).status_code == 303
    after = _snapshot(app)
    assert after[0] == {**before[0], ("starter", "monthly"): 1400}
    assert after[1:4] == before[1:4] and after[5:] == before[5:]  # Kedai and the platform's prices untouched
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Offer).where(Offer.plan_id == retired)) == 0
        assert set(db.session.scalars(select(OfferPrice.currency))) == {"MYR"}


def test_a_plan_the_form_does_not_mention_stays_as_it_was(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    starter = _plan(app, "starter")
    token = csrf_from(owner.get("/console/pricing").text)
    before = _snapshot(app)
    partial = {
        f"price-{starter}-monthly": "13.50",
        f"price-{starter}-annually": "129",
        f"visible-{starter}": "1",
    }
    assert owner.post("/console/pricing", data=partial | {"csrf_token": token}).status_code == 303
    assert _prices(app) == {**before[0], ("starter", "monthly"): 1350}
    assert _offers(app) == before[2]


# Visibility and order


def test_hiding_and_showing_a_plan_is_reflected_on_the_shop(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    starter = _plan(app, "starter")
    form = _form(owner)
    del form[f"visible-{starter}"]
    owner.post("/console/pricing", data=form)
    assert ("starter", False, 0) in _offers(app)
    assert "Starter" not in client_for(ACME).get("/plans").text
    assert client_for(ACME).get("/plans/starter").status_code == 404
    assert "hidden" in owner.get("/console/pricing").text
    owner.post("/console/pricing", data=_form(owner) | {f"visible-{starter}": "1"})
    assert "Starter" in client_for(ACME).get("/plans").text


def _order_on_shop(client_for) -> list[str]:
    page = client_for(ACME).get("/plans").text
    return sorted(["Starter", "Business", "Pro"], key=page.index)


def _move(owner, app, code: str, direction: str, token: str | None = None):
    token = token or csrf_from(owner.get("/console/pricing").text)
    return owner.post(
        f"/console/pricing/offers/{code}/move", data={"direction": direction, "csrf_token": token}
    )


def test_moving_plans_changes_their_order_on_the_shop(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    assert _order_on_shop(client_for) == ["Starter", "Business", "Pro"]
    assert _move(owner, app, "pro", "up").status_code == 303
    assert _order_on_shop(client_for) == ["Starter", "Pro", "Business"]
    _move(owner, app, "starter", "down")
    assert _order_on_shop(client_for) == ["Pro", "Starter", "Business"]
    page = owner.get("/console/pricing").text
    assert page.index("Pro") < page.index("Starter") < page.index("Business")
    edge = _move(owner, app, "pro", "up")
    assert edge.status_code == 303
    assert "cannot move further" in owner.get("/console/pricing").text
    assert _order_on_shop(client_for) == ["Pro", "Starter", "Business"]


def test_a_new_offer_is_listed_last(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    mail = _plan(app, "mail")
    owner.post(
        "/console/pricing", data=_form(owner) | {f"price-{mail}-monthly": "5.90", f"visible-{mail}": "1"}
    )
    page = client_for(ACME).get("/plans").text
    assert page.index("Pro") < page.index("Business Email")


# Isolation, roles, CSRF


def test_another_shops_offer_is_not_found_and_unchanged(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    token = csrf_from(owner.get("/console/pricing").text)
    with app.app_context():
        offered = {
            slug: set(
                db.session.scalars(
                    select(Plan.code).join(Offer).where(Offer.reseller_id == shop_id(app, slug))
                )
            )
            for slug in ("acme", "kedai")
        }
    [theirs, *_] = sorted(offered["kedai"] - offered["acme"])  # a plan only Kedai offers
    before = _snapshot(app)
    for direction in ("up", "down", ""):
        response = owner.post(
            f"/console/pricing/offers/{theirs}/move", data={"direction": direction, "csrf_token": token}
        )
        assert response.status_code == 404
    assert (
        owner.post("/console/pricing/offers/99999999999/move", data={"csrf_token": token}).status_code == 404
    )
    assert _snapshot(app) == before


def test_an_agent_may_not_set_prices(app, demo, client_for) -> None:
    agent = client_for(ACME)
    assert team_sign_in(agent, "agent@acme-hosting.test").status_code == 302
    token = csrf_from(agent.get("/console/tickets").text)
    starter = _plan(app, "starter")
    before = _snapshot(app)
    assert agent.get("/console/pricing").status_code == 403
    assert agent.get(f"/console/pricing/margin?plan={starter}&cycle=monthly").status_code == 403
    assert (
        agent.post(
            "/console/pricing", data={f"price-{starter}-monthly": "99", "csrf_token": token}
        ).status_code
        == 403
    )
    assert (
        agent.post("/console/pricing/domains", data={"domain-com": "99", "csrf_token": token}).status_code
        == 403
    )
    assert _move(agent, app, "pro", "up", token).status_code == 403
    assert _snapshot(app) == before
    assert 'href="/console/pricing"' not in agent.get("/console/tickets").text


def test_a_save_without_its_csrf_token_is_refused(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    starter = _plan(app, "starter")
    form = _form(owner) | {f"price-{starter}-monthly": "20.00"}
    del form["csrf_token"]
    before = _snapshot(app)
    assert owner.post("/console/pricing", data=form).status_code == 400
    assert owner.post("/console/pricing/domains", data={"domain-com": "70.00"}).status_code == 400
    assert _move(owner, app, "pro", "up", token="forged").status_code == 400
    assert _snapshot(app) == before


# Domain prices


def test_domain_prices_save_refuse_below_wholesale_and_stop_selling(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    form = _form(owner, "domain-prices")
    before = _snapshot(app)
    refused = owner.post(
        "/console/pricing/domains", data=form | {"domain-com": "70.00", "domain-my": "79.99"}
    )
    assert (
        refused.status_code == 400
        and ".my: RM 79.99 is below the wholesale price of RM 80.00." in refused.text
    )
    assert _snapshot(app) == before
    saved = owner.post(
        "/console/pricing/domains", data=form | {"domain-com": "70.00", "domain-my": "", "domain-org": "60"}
    )
    assert saved.status_code == 303
    with app.app_context():
        acme = db.session.scalars(select(DomainOffer).where(DomainOffer.reseller_id == shop_id(app)))
        assert {offer.tld: offer.amount_minor for offer in acme} == {"com": 7000, "com.my": 9900, "org": 6000}
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "domain_prices"))
        assert ".com RM 70.00" in entry.reason and ".my not sold" in entry.reason
    assert _snapshot(app)[1:4] == before[1:4]


# Existing orders keep their prices


def _buy(client_for, cycle: str = "annually"):
    client, item, form = signed_in_with_cart(client_for, plan="business", cycle=cycle)
    placed = client.post(
        "/checkout", data=form | {f"choice-{item}": "existing", f"domain-{item}": "bakery.my"}
    )
    assert placed.status_code == 303
    return client, placed.headers["Location"]


def test_a_price_change_applies_to_new_orders_only(app, demo, client_for) -> None:
    customer, first = _buy(client_for)
    owner = owner_client(client_for)
    business = _plan(app, "business")
    owner.post("/console/pricing", data=_form(owner) | {f"price-{business}-annually": "279.00"})
    assert _prices(app)[("business", "annually")] == 27900
    assert "RM 249.00" in customer.get(first).text and "RM 279.00" not in customer.get(first).text
    item = cart_with(customer, plan="business", cycle="annually")
    second = customer.post(
        "/checkout",
        data=checkout_form(customer) | {f"choice-{item}": "existing", f"domain-{item}": "bakery2.my"},
    )
    assert second.status_code == 303 and second.headers["Location"] != first
    assert "RM 279.00" in customer.get(second.headers["Location"]).text
    with app.app_context():
        totals = list(db.session.scalars(select(Invoice.total_minor).order_by(Invoice.number)))
        orders = list(db.session.scalars(select(Order.total_minor).order_by(Order.id)))
    assert totals == [24900, 27900] and orders == [24900, 27900]


# Speed


def test_the_page_runs_the_same_queries_with_three_plans_or_many(
    app, demo, client_for, count_queries, make_plan, make_offer
) -> None:
    owner = owner_client(client_for)

    def queries() -> int:
        owner.get("/console/pricing")
        with count_queries() as statements:
            assert owner.get("/console/pricing").status_code == 200
        return len(statements)

    few = queries()
    acme = shop_id(app)
    for number in range(25):
        plan = make_plan(f"extra{number}", monthly=100 + number)
        if number % 2:
            make_offer(acme, plan, {"monthly": 900, "annually": 9000}, position=10 + number)
    page = owner.get("/console/pricing").text
    assert "Extra24" in page and "Extra1" in page
    assert queries() == few
