"""A checkout key is bound to the customer and the cart it was made for; a mismatch keeps the cart."""

from __future__ import annotations

import re

from sqlalchemy import func, select, update

from storefront.extensions import db
from storefront.models import Customer, Order, utcnow
from tests.shop.helpers import post_form, sign_in
from tests.shop.test_checkout import ACME, cart_with, checkout_form, signed_in_with_cart

STALE = "This checkout page is out of date"


def _orders(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def _place(client, item: str, form: dict, domain: str = "my-own-site.org"):
    return client.post("/checkout", data=form | {f"choice-{item}": "existing", f"domain-{item}": domain})


def _item_ids(client) -> list[str]:
    return list(dict.fromkeys(re.findall(r"/cart/([0-9a-f]{8})/remove", client.get("/cart").text)))


def test_a_stale_tab_with_a_used_key_keeps_the_new_cart(app, demo, client_for) -> None:
    client, item, form = signed_in_with_cart(client_for)
    first = _place(client, item, form)
    assert first.status_code == 303
    new_item = cart_with(client, plan="starter", cycle="monthly")
    stale = _place(client, new_item, form, "another-site.org")  # the old tab's form, sent again
    assert stale.status_code == 409
    assert STALE in stale.text and "your order is placed" not in stale.text
    assert first.headers["Location"] not in stale.text
    assert _item_ids(client) == [new_item]
    assert _orders(app) == 1
    fresh = checkout_form(client)
    assert fresh["idempotency_key"] != form["idempotency_key"]
    assert _place(client, new_item, fresh, "another-site.org").headers["Location"] == "/account/invoices/2"
    assert _orders(app) == 2


def test_a_key_from_an_unused_page_of_an_older_cart_is_stale(app, demo, client_for) -> None:
    client, item, form = signed_in_with_cart(client_for)
    cart_with(client, plan="starter", cycle="monthly")  # the cart changed after the page was opened
    answer = _place(client, item, form)
    assert answer.status_code == 409 and STALE in answer.text
    assert len(_item_ids(client)) == 2 and _orders(app) == 0


def test_another_customers_key_never_shows_their_invoice(app, demo, client_for) -> None:
    aisyah, item, form = signed_in_with_cart(client_for)
    assert _place(aisyah, item, form, "aisyah-site.org").status_code == 303
    siti = client_for(ACME)
    _verified_customer(app, siti, "siti@example.com")
    siti_item = cart_with(siti)
    answer = _place(siti, siti_item, {**checkout_form(siti), "idempotency_key": form["idempotency_key"]})
    assert answer.status_code == 409 and STALE in answer.text
    assert "aisyah-site.org" not in answer.text and "/account/invoices/1" not in answer.text
    assert _item_ids(siti) == [siti_item]
    assert _orders(app) == 1


def _verified_customer(app, client, email: str) -> None:
    form = {"name": "Siti", "email": email, "password": "a good long password", "privacy_notice": "y"}
    post_form(client, "/signup", form)
    with app.app_context():
        db.session.execute(update(Customer).where(Customer.email == email).values(email_verified_at=utcnow()))
        db.session.commit()
    sign_in(client, email, "a good long password")


def test_sending_the_placed_form_again_shows_the_same_order(app, demo, client_for) -> None:
    """Back and send again after the order emptied the cart: nothing to lose, the one order shown."""
    client, item, form = signed_in_with_cart(client_for)
    first = _place(client, item, form)
    again = _place(client, item, form)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert _orders(app) == 1
