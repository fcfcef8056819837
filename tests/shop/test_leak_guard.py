"""No storefront response names the platform: every route, fragment, error page and asset."""

from __future__ import annotations

import re

import pytest
from flask import Flask, abort
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import BillingCycle, Reseller
from tests.leakguard import find_leaks, response_texts

SHOP_HOSTS = {
    "acme": ["acme.localhost", "shop.acme-hosting.test"],
    "bluewave": ["bluewave.localhost", "bluewave-web.test"],
    "kedai": ["kedai.localhost", "kedaihosting.test"],
}
CODES = ["starter", "wordpress", "business", "pro", "mail", "no-such-plan"]


def _add_error_routes(app: Flask) -> None:
    def explode() -> str:
        raise RuntimeError("internal detail")

    def too_many() -> str:
        abort(429)

    def form_post() -> str:
        return "accepted"

    app.add_url_rule("/explode", "explode", explode)
    app.add_url_rule("/too-many", "too_many", too_many)
    app.add_url_rule("/form-post", "form_post", form_post, methods=["POST"])


def _shop_requests(html_pages: list[str]) -> list[tuple[str, str, dict]]:
    """Every GET route of the shop, each fragment, and each error page, as (method, path, options)."""
    requests = [
        ("GET", path, {})
        for path in [
            "/",
            "/plans",
            "/privacy",
            "/contact",
            "/robots.txt",
            "/favicon.ico",
            "/brand.css",
            "/logo",
            "/healthz",
            "/theme/theme.css",
            "/theme/base.css",
            "/theme/nope.css",
        ]
    ]
    requests += [("GET", f"/plans/{code}", {}) for code in CODES]
    requests += [
        ("GET", f"/plans?cycle={cycle.value}", {"headers": {"HX-Request": "true"}}) for cycle in BillingCycle
    ]
    requests += [
        ("GET", "/plans?cycle=bogus", {}),
        ("GET", "/missing", {}),
        ("GET", "/explode", {}),
        ("GET", "/too-many", {}),
        ("POST", "/plans", {}),
        ("TRACE", "/plans", {}),
        ("POST", "/form-post", {}),  # no CSRF token: 400
        ("POST", "/form-post", {"data": {"field": "x" * (3 * 1024 * 1024)}}),
    ]
    for html in html_pages:  # every asset the pages link to
        requests += [("GET", url, {}) for url in re.findall(r'(?:href|src)="(/[^"]+)"', html)]
    return requests


@pytest.mark.parametrize("slug", list(SHOP_HOSTS))
def test_no_storefront_response_names_the_platform(app, demo, client_for, slug: str) -> None:
    _add_error_routes(app)
    statuses = set()
    for host in SHOP_HOSTS[slug]:
        client = client_for(host)
        pages = [client.get(path).text for path in ("/", "/plans", "/plans/starter")]
        for method, path, options in _shop_requests(pages):
            response = client.open(path, method=method, **options)
            statuses.add(response.status_code)
            leaks = find_leaks(app.config, *response_texts(response))
            assert not leaks, f"{method} {host}{path} leaks {leaks}"
    assert {200, 304, 400, 404, 405, 413, 429, 500} >= statuses >= {200, 400, 404, 405, 413, 429, 500}


def test_the_walk_covers_every_shop_route(app) -> None:
    walked = {
        "/",
        "/plans",
        "/plans/<code>",
        "/privacy",
        "/contact",
        "/robots.txt",
        "/favicon.ico",
        "/brand.css",
        "/logo",
        "/healthz",
        "/theme/<path:filename>",
    }
    routes = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("shop.") or rule.endpoint == "healthz"
    }
    assert routes <= walked, f"add {routes - walked} to the leak guard"


def test_the_guard_finds_a_leak_when_there_is_one(app, demo, client_for) -> None:
    with app.app_context():
        acme = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        acme.tagline = "Proudly powered by WEBSERVER, call 03-2770 2833"
        db.session.commit()
    response = client_for("acme.localhost").get("/")
    assert set(find_leaks(app.config, *response_texts(response))) >= {"WebServer", "0327702833"}
