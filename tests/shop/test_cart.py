"""The cart: add, change the period, remove; page and htmx fragment; kept across sign-in."""

from __future__ import annotations

import re

import pytest

from tests.shop.helpers import csrf_from, post_form, sign_in

ACME = "acme.localhost"


def _add(client, plan="business", cycle="annually", **headers):
    token = csrf_from(client.get("/plans/starter").text)
    return client.post("/cart/add", data={"plan": plan, "cycle": cycle, "csrf_token": token}, headers=headers)


def _item_ids(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"/cart/([0-9a-f]{8})/remove", html)))


def test_add_change_and_remove_without_javascript(demo, client_for) -> None:
    client = client_for(ACME)
    response = _add(client)
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    page = client.get("/cart").text
    assert "Business" in page and "RM 249.00" in page
    assert 'class="cart-badge__count">1<' in page
    [item] = _item_ids(page)
    token = csrf_from(page)
    client.post(f"/cart/{item}/cycle", data={"cycle": "monthly", "csrf_token": token})
    assert "Total <strong>RM 24.90</strong>" in client.get("/cart").text
    client.post(f"/cart/{item}/remove", data={"csrf_token": token})
    assert "Your cart is empty." in client.get("/cart").text


def test_htmx_gets_the_cart_fragment_and_a_badge_event(demo, client_for) -> None:
    client = client_for(ACME)
    response = _add(client, **{"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="cart"')
    assert response.headers["HX-Trigger"] == '{"cart-changed": true}'
    badge = client.get("/cart/badge", headers={"HX-Request": "true"}).text
    assert badge.startswith('<a id="cart-badge"') and 'cart-badge__count">1<' in badge


@pytest.mark.parametrize(
    ("plan", "cycle", "message"),
    [
        ("wordpress", "monthly", "That plan is not on sale here."),  # BlueWave's, not Acme's
        ("starter", "quarterly", "Starter is not sold with that billing period."),
        ("starter", "weekly", "not sold with that billing period"),
        ("", "", "That plan is not on sale here."),
        ("<script>", "monthly", "That plan is not on sale here."),
    ],
)
def test_bad_cart_input_is_refused_clearly(demo, client_for, plan, cycle, message) -> None:
    client = client_for(ACME)
    response = _add(client, plan=plan, cycle=cycle)
    assert response.status_code == 400
    assert message in response.text
    assert "<script>" not in response.text


def test_prices_in_the_form_are_ignored(demo, client_for) -> None:
    client = client_for(ACME)
    token = csrf_from(client.get("/plans/starter").text)
    client.post(
        "/cart/add",
        data={
            "plan": "starter",
            "cycle": "monthly",
            "price": "1",
            "amount_minor": "1",
            "currency": "USD",
            "csrf_token": token,
        },
    )
    assert "Total <strong>RM 12.90</strong>" in client.get("/cart").text


def test_cart_survives_sign_in(demo, client_for) -> None:
    client = client_for(ACME)
    _add(client)
    sign_in(client, "aisyah@example.com")
    assert "RM 249.00" in client.get("/cart").text


def test_another_shops_item_ids_do_nothing(demo, client_for) -> None:
    client = client_for(ACME)
    _add(client)
    token = csrf_from(client.get("/cart").text)
    assert client.post("/cart/deadbeef/remove", data={"csrf_token": token}).status_code == 303
    assert (
        client.post("/cart/deadbeef/cycle", data={"cycle": "monthly", "csrf_token": token}).status_code == 400
    )
    assert "RM 249.00" in client.get("/cart").text


def test_the_cart_holds_at_most_ten_plans(demo, client_for) -> None:
    client = client_for(ACME)
    for _ in range(10):
        _add(client, plan="starter", cycle="monthly")
    response = _add(client, plan="starter", cycle="monthly")
    assert response.status_code == 400 and "at most 10" in response.text
    assert (
        post_form(client, "/cart/add", {"plan": "starter", "cycle": "monthly"}, page="/cart").status_code
        == 400
    )
