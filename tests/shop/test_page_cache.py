"""Cached public pages change the moment the shop's data does."""

from __future__ import annotations

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import BillingCycle, Offer, OfferPrice, Plan, Reseller


def _acme_price(app, plan_code: str, cycle: BillingCycle) -> OfferPrice:
    return db.session.scalar(
        select(OfferPrice)
        .join(Offer)
        .join(Plan)
        .join(Reseller, Reseller.id == Offer.reseller_id)
        .where(Reseller.slug == "acme", Plan.code == plan_code, OfferPrice.cycle == cycle)
    )


def test_a_retail_price_change_shows_at_once(app, demo, client_for) -> None:
    client = client_for("acme.localhost")
    assert "RM 12.90" in client.get("/plans").text
    with app.app_context():
        _acme_price(app, "starter", BillingCycle.MONTHLY).amount_minor = 1390
        db.session.commit()
    html = client.get("/plans").text
    assert "RM 13.90" in html and "RM 12.90" not in html


def test_a_platform_plan_change_reaches_every_shop(app, demo, client_for) -> None:
    clients = [client_for(host) for host in ("acme.localhost", "bluewave.localhost", "kedai.localhost")]
    for client in clients:
        assert "Starter" in client.get("/plans").text
    with app.app_context():
        db.session.scalar(select(Plan).where(Plan.code == "starter")).name = "Starter Plus"
        db.session.commit()
    for client in clients:
        assert "Starter Plus" in client.get("/plans").text


def test_a_brand_change_shows_at_once_and_other_shops_keep_their_pages(app, demo, client_for) -> None:
    acme, kedai = client_for("acme.localhost"), client_for("kedai.localhost")
    acme.get("/contact")
    with app.app_context():
        kedai_revision = db.session.scalar(select(Reseller.revision).where(Reseller.slug == "kedai"))
        db.session.scalar(select(Reseller).where(Reseller.slug == "acme")).support_hours = "24/7"
        db.session.commit()
        assert db.session.scalar(select(Reseller.revision).where(Reseller.slug == "kedai")) == kedai_revision
    assert "24/7" in acme.get("/contact").text
    assert "24/7" not in kedai.get("/contact").text


def test_the_cache_can_be_turned_off(app, demo, client_for) -> None:
    app.config["PAGE_CACHE_SIZE"] = 0
    client = client_for("acme.localhost")
    client.get("/plans")
    assert "RM 12.90" in client.get("/plans").text


def test_pages_rendered_afresh_read_the_catalogue_once_per_shop_change(
    app, demo, client_for, count_queries
) -> None:
    app.config["PAGE_CACHE_SIZE"] = 0  # every page rendered for its visitor, as for one with a session
    client = client_for("acme.localhost")
    client.get("/plans")
    with count_queries() as statements:
        assert "RM 12.90" in client.get("/plans").text
        assert "Starter" in client.get("/").text
    assert len(statements) == 2  # the shop for each page; the catalogue was read already
    with app.app_context():
        _acme_price(app, "starter", BillingCycle.MONTHLY).amount_minor = 1390
        db.session.commit()
    html = client.get("/plans").text
    assert "RM 13.90" in html and "RM 12.90" not in html
    assert "RM 13.90" in client.get("/").text
