"""The host picks the audience: a shop, the staff console, or a plain 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from storefront.extensions import db
from storefront.models import Offer, Plan, Reseller, bind_tenant
from storefront.models.scoping import SCOPED_PER_STATEMENT, CrossTenantWrite
from storefront.tenancy import normalise_host


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("acme.localhost", "acme.localhost"),
        ("ACME.LocalHost", "acme.localhost"),
        ("acme.localhost:5000", "acme.localhost"),
        ("acme.localhost.", "acme.localhost"),
        ("Shop.Acme-Hosting.test.:8443", "shop.acme-hosting.test"),
        ("xn--kdai-6oa.test", "xn--kdai-6oa.test"),
        ("127.0.0.1", None),
        ("127.0.0.1:5000", None),
        ("[::1]:5000", None),
        ("::1", None),
        ("", None),
        ("acme..localhost", None),
        ("acme.localhost:port", None),
        ("acme.localhost:99999999", None),
        ("-acme.localhost", None),
        ("acme_shop.localhost", None),
        ("acme.localhost/evil", None),
        ("a" * 64 + ".localhost", None),
        ("kédai.test", None),
    ],
)
def test_normalise_host(raw: str, expected: str | None) -> None:
    assert normalise_host(raw) == expected


@pytest.mark.parametrize(
    "host",
    [
        "acme.localhost",
        "ACME.localhost",
        "acme.localhost:5000",
        "acme.localhost.",
        "shop.acme-hosting.test",
        "SHOP.ACME-HOSTING.TEST.:443",
    ],
)
def test_shop_hosts_serve_the_shop(demo, client_for, host: str) -> None:
    response = client_for(host).get("/")
    assert response.status_code == 200
    assert "Acme Hosting" in response.text


@pytest.mark.parametrize(
    "host",
    [
        "unknown.localhost",
        "evil.test",
        "127.0.0.1",
        "127.0.0.1:5000",
        "[::1]:5000",
        "localhost",
        "x.acme.localhost",
        "acme.localhost.evil.test",
        "acme..localhost",
        "bad_host.localhost",
    ],
)
def test_unknown_hosts_get_a_plain_404(demo, client_for, host: str) -> None:
    for path in ("/", "/plans", "/staff/login", "/theme/theme.css", "/healthz", "/no-such-page"):
        response = client_for(host).get(path)
        assert response.status_code == 404
        assert response.mimetype == "text/plain"
        assert response.text == "Not Found\n"


def test_unverified_domain_does_not_serve(app, demo, client_for, make_reseller) -> None:
    reseller_id = make_reseller("pending", domains=("pending-shop.test",))
    with app.app_context():
        reseller = db.session.get(Reseller, reseller_id)
        reseller.domains[0].verified_at = None
        db.session.commit()
    assert client_for("pending-shop.test").get("/").status_code == 404
    assert client_for("pending.localhost").get("/").status_code == 200


def test_inactive_reseller_is_not_served(app, client_for, make_reseller) -> None:
    make_reseller("gone", active=False, domains=("gone.test",))
    for host in ("gone.localhost", "gone.test"):
        response = client_for(host).get("/")
        assert response.status_code == 404
        assert response.text == "Not Found\n"


def test_staff_host_serves_only_staff_routes(demo, client_for) -> None:
    staff = client_for("staff.localhost:5000")
    assert staff.get("/").headers["Location"] == "/staff/"
    assert staff.get("/staff/").headers["Location"].startswith("/staff/login")
    assert staff.get("/staff/login").status_code == 200
    for path in ("/plans", "/plans/starter", "/privacy", "/contact", "/robots.txt", "/brand.css"):
        response = staff.get(path)
        assert response.status_code == 404
        assert "Acme" not in response.text


def test_staff_routes_are_not_found_on_a_shop(demo, client_for) -> None:
    response = client_for("acme.localhost").get("/staff/login")
    assert response.status_code == 404
    assert "Acme Hosting" in response.text  # the shop's own branded 404
    assert "<h1>Sign in</h1>" not in response.text and 'name="password"' not in response.text


def test_queries_are_scoped_to_the_bound_reseller(app, demo) -> None:
    with app.app_context():
        acme = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        all_offers = db.session.scalars(select(Offer)).all()
        bind_tenant(db.session, acme.id)
        scoped = db.session.scalars(select(Offer)).all()
        assert len({o.reseller_id for o in all_offers}) == 3
        assert scoped and {o.reseller_id for o in scoped} == {acme.id}
        db.session.execute(update(Offer).values(visible=False))
        bind_tenant(db.session, None)
        hidden = db.session.scalars(select(Offer).where(Offer.visible.is_(False))).all()
        assert {o.reseller_id for o in hidden} == {acme.id}


def test_each_binding_scopes_to_its_own_reseller_when_they_alternate(app, demo) -> None:
    with app.app_context():
        shops = db.session.scalars(select(Reseller).order_by(Reseller.slug)).all()
        seen = []
        for shop in [*shops, *reversed(shops), *shops]:  # the same scopes again, in another order
            bind_tenant(db.session, shop.id)
            seen.append({offer.reseller_id for offer in db.session.scalars(select(Offer))})
            bind_tenant(db.session, None)
        expected = [{shop.id} for shop in [*shops, *reversed(shops), *shops]]
        assert seen == expected


def test_one_statement_built_once_is_scoped_to_each_reseller(app, demo, make_reseller, make_offer) -> None:
    """A statement the app builds once and runs for every shop answers each shop with its own rows,
    also after more shops than one statement keeps scoped copies for."""
    offers = select(Offer).order_by(Offer.id)  # built once, as the app's queries are
    extra = [make_reseller(f"shop{i}") for i in range(SCOPED_PER_STATEMENT + 2)]
    with app.app_context():
        plan_id = db.session.scalar(select(Plan.id).limit(1))
    for reseller_id in extra:
        make_offer(reseller_id, plan_id, {"monthly": 1000})
    with app.app_context():
        demo_shops = db.session.scalars(select(Reseller.id).where(Reseller.id.not_in(extra))).all()
        for shop_id in [*demo_shops, *extra, *reversed(demo_shops), *extra]:
            bind_tenant(db.session, shop_id)
            seen = {offer.reseller_id for offer in db.session.scalars(offers)}
            bind_tenant(db.session, None)
            assert seen == {shop_id}


def test_a_session_made_during_a_shop_request_is_scoped_to_that_shop(app, demo) -> None:
    with app.app_context():
        ids = dict(db.session.execute(select(Reseller.slug, Reseller.id)).all())
    with app.test_request_context(base_url="http://bluewave.localhost"):
        app.preprocess_request()  # finds the shop; no session is made yet
        offers = db.session.scalars(select(Offer)).all()
        assert offers and {offer.reseller_id for offer in offers} == {ids["bluewave"]}


def test_scoped_relationship_loads_and_writes(app, demo) -> None:
    with app.app_context():
        resellers = db.session.scalars(select(Reseller).order_by(Reseller.slug)).all()
        acme, bluewave = resellers[0], resellers[1]
        bluewave_id = bluewave.id
        db.session.expunge_all()
        bind_tenant(db.session, acme.id)
        other = db.session.get(Reseller, bluewave_id)  # resellers themselves are not tenant rows
        assert other.domains == []  # but their domains are filtered out of the scope
        foreign_offer = Offer(reseller_id=bluewave_id, plan_id=1)
        db.session.add(foreign_offer)
        with pytest.raises(CrossTenantWrite):
            db.session.flush()
        db.session.rollback()


def test_a_change_to_the_shop_shows_on_its_next_page(app, demo, client_for) -> None:
    """The shop is read whole once per revision; a change moves the revision on, so the next page has it."""
    client = client_for("acme.localhost")
    assert "Acme Hosting" in client.get("/contact").text
    with app.app_context():
        acme = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        acme.brand_name = "Acme Web Hosting"
        db.session.commit()
    assert "Acme Web Hosting" in client.get("/contact").text
    with app.app_context():
        db.session.scalar(select(Reseller).where(Reseller.slug == "acme")).active = False
        db.session.commit()
    assert client.get("/contact").status_code == 404
