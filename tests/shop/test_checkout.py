"""Checkout: domains validated, server prices, one order and one gapless invoice per checkout."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import Customer, Invoice, Order, OrderLine, OutboxMessage
from tests.shop.helpers import csrf_from, outbox, sign_in

ACME = "acme.localhost"


def cart_with(client, plan: str = "business", cycle: str = "annually") -> str:
    """Put one plan in the cart and return its item id."""
    token = csrf_from(client.get("/plans/starter").text)
    client.post("/cart/add", data={"plan": plan, "cycle": cycle, "csrf_token": token})
    return re.findall(r"/cart/([0-9a-f]{8})/remove", client.get("/cart").text)[-1]


def checkout_form(client) -> dict:
    page = client.get("/checkout").text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf_from(page), "idempotency_key": key}


def signed_in_with_cart(client_for, host=ACME, email="aisyah@example.com", **cart):
    client = client_for(host)
    sign_in(client, email)
    item = cart_with(client, **cart)
    return client, item, checkout_form(client)


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(m)) for m in (Order, Invoice, OutboxMessage)
        )


def test_checkout_makes_an_order_and_an_invoice_with_server_prices(app, demo, client_for) -> None:
    client, item, form = signed_in_with_cart(client_for)
    form |= {
        f"choice-{item}": "register",
        f"domain-{item}": "NurAisyah.com.my",
        "total": "1",
        "price": "0",
        "currency": "USD",
        "amount_minor": "1",
    }
    response = client.post("/checkout", data=form)
    assert response.status_code == 303 and response.headers["Location"] == "/account/invoices/1"
    page = client.get("/account/invoices/1").text
    assert "Business hosting for nuraisyah.com.my, billed annually" in page
    assert "Registration of nuraisyah.com.my for 1 year" in page
    assert "RM 249.00" in page and "RM 99.00" in page and "RM 348.00" in page
    assert "Acme Hosting Sdn. Bhd." in page and "Level 12, Menara Acme" in page and "Maybank" in page
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert (order.total_minor, order.currency) == (34800, "MYR")
    kinds = [m.kind for m in outbox(app, to="aisyah@example.com")]
    assert kinds == ["order_confirmation", "invoice"]
    assert client.get("/cart").text.count("Your cart is empty.") == 1


def test_existing_domain_adds_no_registration(app, demo, client_for) -> None:
    client, item, form = signed_in_with_cart(client_for)
    client.post("/checkout", data=form | {f"choice-{item}": "existing", f"domain-{item}": "my-own-site.org"})
    with app.app_context():
        lines = list(db.session.scalars(select(OrderLine)))
        assert [(line.kind.value, line.domain) for line in lines] == [("hosting", "my-own-site.org")]


def test_internationalised_domains_are_stored_as_punycode(app, demo, client_for) -> None:
    client, item, form = signed_in_with_cart(client_for)
    client.post("/checkout", data=form | {f"choice-{item}": "register", f"domain-{item}": "kedai-kopi-é.my"})
    with app.app_context():
        assert db.session.scalar(select(OrderLine.domain).limit(1)) == "xn--kedai-kopi--lbb.my"
    assert "kedai-kopi-é.my" in client.get("/account/invoices/1").text


@pytest.mark.parametrize(
    ("choice", "domain", "message"),
    [
        ("register", "", "Please enter a domain name"),
        ("register", "no spaces allowed.com", "Please enter a domain name"),
        ("register", "-bad-.com", "is not a valid domain name"),
        ("register", "a" * 64 + ".com", "is not a valid domain name"),
        ("register", "example.xyz", "We register these endings"),
        ("register", "sub.example.com", "We register these endings"),
        ("register", "localhost", "is not a valid domain name"),
        ("existing", "under_score.com", "is not a valid domain name"),
        ("existing", "example.123", "is not a valid domain name"),
        ("register", "<script>alert(1)</script>.com", "is not a valid domain name"),
    ],
)
def test_bad_domains_get_a_clear_message_and_no_order(app, demo, client_for, choice, domain, message) -> None:
    client, item, form = signed_in_with_cart(client_for)
    before = _counts(app)
    response = client.post("/checkout", data=form | {f"choice-{item}": choice, f"domain-{item}": domain})
    assert response.status_code == 400
    assert message in response.text
    assert "<script>alert" not in response.text
    assert _counts(app) == before


def test_a_replayed_checkout_makes_one_order(app, demo, client_for) -> None:
    client, item, form = signed_in_with_cart(client_for)
    form |= {f"choice-{item}": "existing", f"domain-{item}": "my-own-site.org"}
    cookie = client.get_cookie("session", domain="acme.localhost").value
    first = client.post("/checkout", data=form)
    client.set_cookie("session", cookie, domain="acme.localhost")  # the second click carried the same cart
    second = client.post("/checkout", data=form)
    assert first.headers["Location"] == second.headers["Location"]
    assert _counts(app)[:2] == (1, 1)


def test_checkout_needs_a_confirmed_email(app, demo, client_for) -> None:
    with app.app_context():
        db.session.scalar(
            select(Customer).where(Customer.email == "aisyah@example.com")
        ).email_verified_at = None
        db.session.commit()
    client, item, form = signed_in_with_cart(client_for)
    response = client.post("/checkout", data=form | {f"choice-{item}": "existing", f"domain-{item}": "x.org"})
    assert response.status_code == 400 and "confirm your email address" in response.text
    assert _counts(app)[0] == 0


def test_checkout_needs_sign_in_and_a_cart(demo, client_for) -> None:
    client = client_for(ACME)
    assert client.get("/checkout").headers["Location"].startswith("/login?next=/checkout")
    sign_in(client, "aisyah@example.com")
    assert client.get("/checkout").headers["Location"] == "/cart"


def test_an_expired_or_forged_idempotency_key_is_refused(app, demo, client_for) -> None:
    client, item, form = signed_in_with_cart(client_for)
    response = client.post(
        "/checkout",
        data=form | {"idempotency_key": "short", f"domain-{item}": "x.org", f"choice-{item}": "existing"},
    )
    assert response.status_code == 400 and "expired" in response.text
    assert _counts(app)[0] == 0


def test_invoice_numbers_are_per_shop_and_without_gaps(app, demo, client_for) -> None:
    numbers = []
    for host, email in (
        ("acme.localhost", "aisyah@example.com"),
        ("kedai.localhost", "raj@example.org"),
        ("acme.localhost", "aisyah@example.com"),
    ):
        client, item, form = signed_in_with_cart(client_for, host, email, plan="starter", cycle="monthly")
        client.post("/checkout", data=form | {f"choice-{item}": "existing", f"domain-{item}": "mine.org"})
        bad = signed_in_with_cart(client_for, host, email, plan="starter", cycle="monthly")
        bad[0].post("/checkout", data=bad[2] | {f"choice-{bad[1]}": "register", f"domain-{bad[1]}": "x.xyz"})
    with app.app_context():
        numbers = [
            (r.reseller_id, r.number) for r in db.session.scalars(select(Invoice).order_by(Invoice.id))
        ]
    acme, kedai = numbers[0][0], numbers[1][0]
    assert numbers == [(acme, 1), (kedai, 1), (acme, 2)]


def test_another_customers_invoice_is_not_found(app, demo, client_for) -> None:
    client, item, form = signed_in_with_cart(client_for)
    client.post("/checkout", data=form | {f"choice-{item}": "existing", f"domain-{item}": "mine.org"})
    kedai = client_for("kedai.localhost")
    sign_in(kedai, "raj@example.org")
    for path in ("/account/invoices/1", "/account/invoices/999", "/account/invoices/abc"):
        response = kedai.get(path)
        assert response.status_code == 404 and "mine.org" not in response.text


@pytest.mark.postgres
def test_concurrent_checkouts_with_one_key_make_one_order(app, demo, client_for) -> None:
    client, item, form = signed_in_with_cart(client_for)
    form |= {f"choice-{item}": "existing", f"domain-{item}": "my-own-site.org"}
    cookie = client.get_cookie("session", domain="acme.localhost").value
    barrier, results = threading.Barrier(6), []

    def submit() -> None:
        racer = client_for(ACME)
        racer.set_cookie("session", cookie, domain="acme.localhost")
        barrier.wait()
        results.append(racer.post("/checkout", data=form))

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [303] * 6
    assert {r.headers["Location"] for r in results} == {"/account/invoices/1"}
    assert _counts(app)[:2] == (1, 1)


@pytest.mark.postgres
def test_concurrent_checkouts_take_distinct_gapless_numbers(app, demo, client_for) -> None:
    racers = [signed_in_with_cart(client_for) for _ in range(5)]
    barrier = threading.Barrier(len(racers))

    def submit(client, item, form) -> None:
        barrier.wait()
        client.post("/checkout", data=form | {f"choice-{item}": "existing", f"domain-{item}": "mine.org"})

    threads = [threading.Thread(target=submit, args=racer) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        assert sorted(db.session.scalars(select(Invoice.number))) == [1, 2, 3, 4, 5]


def test_the_longest_valid_domain_checks_out(app, demo, client_for) -> None:
    client, item, form = signed_in_with_cart(client_for)
    domain = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 57]) + ".org"
    assert len(domain) == 253
    response = client.post("/checkout", data=form | {f"choice-{item}": "existing", f"domain-{item}": domain})
    assert response.status_code == 303


def test_account_lists_orders_and_the_invoice_is_printable_and_branded(app, demo, client_for) -> None:
    client, item, form = signed_in_with_cart(client_for)
    client.post("/checkout", data=form | {f"choice-{item}": "existing", f"domain-{item}": "mine.org"})
    orders = client.get("/account/orders").text
    assert "Business hosting for mine.org, billed annually" in orders and "Awaiting payment" in orders
    overview = client.get("/account").text
    assert "INV-000001" in overview and "RM 249.00" in overview
    invoice = client.get("/account/invoices/1").text
    assert 'class="invoice__logo" src="/logo?v=' in invoice
    assert "Reference</dt><dd><strong>INV-000001</strong>" in invoice.replace("\n", "").replace("  ", "")
    css = client.get("/theme/base.css").text
    assert "@media print" in css and ".no-print" in css
