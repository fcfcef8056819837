"""The console's orders (owners only): list, filter, search, and marking bank transfers paid."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from storefront.commerce.payments import mark_bank_transfer_paid
from storefront.extensions import db
from storefront.models import (
    AuditEntry,
    Invoice,
    LedgerEntry,
    Order,
    OrderStatus,
    Payment,
    Service,
    TeamMember,
)
from tests.console.shop_data import add_orders, agent, checkout, only_order_number
from tests.shop.helpers import csrf_from, outbox
from tests.steps import owner_client as owner
from tests.steps import shop_id

HTMX = {"HX-Request": "true"}


def _numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/console/orders/(\d+)">#', html)]


def _order_id(app, number: int, slug: str = "acme") -> int:
    with app.app_context():
        return db.session.scalar(
            select(Order.id).where(Order.reseller_id == shop_id(app, slug), Order.number == number)
        )


def _invoice(app, number: int, slug: str = "acme") -> Invoice:
    with app.app_context():
        invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == _order_id(app, number, slug)))
        db.session.expunge(invoice)
        return invoice


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _pay(team, number: int, data: dict, token: str | None = None):
    token = token or csrf_from(team.get(f"/console/orders/{number}").text)
    return team.post(f"/console/orders/{number}/bank-transfer", data=data | {"csrf_token": token})


@pytest.fixture
def ordered(app, demo, client_for) -> int:
    """Aisyah at Acme has ordered Business yearly with a new domain (RM 348.00, unpaid): its number."""
    checkout(client_for)
    return only_order_number(app)


def test_the_list_shows_this_shops_orders_with_invoice_and_payment(app, ordered, client_for) -> None:
    checkout(client_for, "kedai.localhost", "raj@example.org", "raj-garage.my")
    checkout(client_for, "kedai.localhost", "raj@example.org", "raj-motors.my")
    page = owner(client_for).get("/console/orders")
    assert page.status_code == 200 and _numbers(page.text) == [ordered]
    assert "Nur Aisyah" in page.text and "aisyah@example.com" in page.text and "RM 348.00" in page.text
    assert "INV-000001" in page.text and "badge--unpaid" in page.text
    assert "raj@example.org" not in page.text and "raj-motors" not in page.text
    kedai_order = only_order_number(app, "kedai")
    assert kedai_order == 2  # Acme has no order 2
    assert owner(client_for).get(f"/console/orders/{kedai_order}").status_code == 404


def test_orders_filter_by_status_and_search_by_number_or_email(app, ordered, client_for) -> None:
    add_orders(app, 3)
    with app.app_context():
        mark_bank_transfer_paid(db.session.get(Invoice, _invoice(app, ordered).id), "MBB 1", "team:0")
    team = owner(client_for)
    assert len(_numbers(team.get("/console/orders").text)) == 4
    paid = team.get("/console/orders?status=paid").text
    assert _numbers(paid) == [ordered] and "Bank transfer" in paid and "badge--paid" in paid
    assert ordered not in _numbers(team.get("/console/orders?status=unpaid").text)
    assert len(_numbers(team.get("/console/orders?status=unpaid").text)) == 3
    assert "No orders match." in team.get("/console/orders?status=cancelled").text
    for term in ("INV-000001", "inv 1", f"#{ordered}", "AISYAH@", "example.com"):
        assert ordered in _numbers(team.get("/console/orders", query_string={"q": term}).text), term
    assert _numbers(team.get("/console/orders?q=aisyah&status=unpaid").text) == []
    assert _numbers(team.get("/console/orders?q=%25").text) == []  # a % is text, not "anything"
    bad = team.get("/console/orders?status=refunded")
    assert bad.status_code == 400 and "Filter orders by unpaid, paid or cancelled." in bad.text


def test_sixty_orders_page_newest_first(app, ordered, client_for) -> None:
    add_orders(app, 60)
    team = owner(client_for)
    first = team.get("/console/orders").text
    assert _numbers(first)[0] == ordered and len(_numbers(first)) == 25
    assert "Page 1 of 3 · 61 orders" in first
    assert len(_numbers(team.get("/console/orders?page=3").text)) == 11
    assert _numbers(team.get("/console/orders?page=junk").text) == _numbers(first)
    beyond = team.get("/console/orders?page=7")
    assert beyond.status_code == 200 and _numbers(beyond.text) == []
    assert "There is no page 7: 61 orders fit on 3 pages." in beyond.text


def test_list_queries_do_not_grow_with_orders(app, ordered, client_for, count_queries) -> None:
    team = owner(client_for)

    def queries() -> int:
        with count_queries() as statements:
            assert team.get("/console/orders?q=example").status_code == 200
        return len(statements)

    queries()
    few = queries()
    add_orders(app, 60)
    assert queries() == few
    assert "61 orders" in team.get("/console/orders?q=example").text


def test_htmx_gets_the_list_fragment_and_a_browser_the_page(app, ordered, client_for) -> None:
    team = owner(client_for)
    full = team.get("/console/orders?status=unpaid")
    assert full.text.lstrip().startswith("<!doctype html>")
    assert 'hx-trigger="input changed delay:300ms, search"' in full.text
    assert '<option value="unpaid" selected>' in full.text
    fragment = team.get("/console/orders?status=unpaid", headers=HTMX)
    assert fragment.text.lstrip().startswith('<section id="order-list"') and "<html" not in fragment.text
    assert _numbers(fragment.text) == [ordered]


def test_the_order_page_shows_lines_invoice_and_is_audited(app, ordered, client_for) -> None:
    page = owner(client_for).get(f"/console/orders/{ordered}").text
    assert "Business hosting for aisyah-bakery.com.my, billed annually" in page and "RM 249.00" in page
    assert "Registration of aisyah-bakery.com.my for 1 year" in page and "RM 99.00" in page
    assert "INV-000001" in page and "Mark paid by bank transfer" in page
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "view"))
        assert (entry.record, entry.actor_role) == (f"order:{_order_id(app, ordered)}", "owner")


def test_marking_a_bank_transfer_paid_fulfils_the_order(app, ordered, client_for) -> None:
    team = owner(client_for)
    done = _pay(team, ordered, {"reference": "  MBB  2611 0042 ", "amount": "1", "status": "cancelled"})
    assert done.status_code == 303 and done.headers["Location"] == f"/console/orders/{ordered}"
    page = team.get(f"/console/orders/{ordered}").text
    assert "INV-000001 is paid; the customer has been sent a receipt." in page
    assert "badge--paid" in page and "MBB 2611 0042" in page and "Farid Hassan" in page
    assert "Mark paid by bank transfer" not in page and "badge--pending" in page  # the service awaits set-up
    invoice = _invoice(app, ordered)
    assert (invoice.status.value, invoice.payment_gateway, invoice.payment_reference) == (
        "paid",
        "bank_transfer",
        "MBB 2611 0042",
    )
    with app.app_context():
        payment = db.session.scalar(select(Payment))
        owner_id = db.session.scalar(
            select(TeamMember.id).where(TeamMember.email == "owner@acme-hosting.test")
        )
        assert (payment.amount_minor, payment.recorded_by) == (34800, f"team:{owner_id}")
        assert db.session.get(Order, _order_id(app, ordered)).status == OrderStatus.PAID
        assert db.session.scalar(select(func.sum(LedgerEntry.amount_minor))) > 0
        assert db.session.scalar(select(Service.domain)) == "aisyah-bakery.com.my"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "bank_transfer"))
        assert (entry.record, entry.actor) == (f"invoice:{invoice.id}", f"team:{owner_id}")
    [receipt] = outbox(app, to="aisyah@example.com", kind="payment_receipt")
    assert "INV-000001" in receipt.subject + receipt.text_body


def test_paying_a_paid_invoice_is_a_409_and_changes_nothing(app, ordered, client_for) -> None:
    team = owner(client_for)
    token = csrf_from(team.get(f"/console/orders/{ordered}").text)
    assert _pay(team, ordered, {"reference": "MBB 1"}, token).status_code == 303
    again = _pay(team, ordered, {"reference": "MBB 2"}, token)
    assert (
        again.status_code == 409 and "is already paid" in again.text and "Nothing was changed" in again.text
    )
    assert _invoice(app, ordered).payment_reference == "MBB 1"
    assert _count(app, Payment) == 1 and len(outbox(app, kind="payment_receipt")) == 1
    assert _count(app, AuditEntry, AuditEntry.action == "bank_transfer") == 1


def test_a_cancelled_orders_invoice_cannot_be_paid(app, ordered, client_for) -> None:
    with app.app_context():
        db.session.get(Order, _order_id(app, ordered)).status = OrderStatus.CANCELLED
        db.session.commit()
    refused = _pay(owner(client_for), ordered, {"reference": "MBB 3"})
    assert refused.status_code == 409 and "This order is cancelled" in refused.text
    assert _invoice(app, ordered).status.value == "issued" and _count(app, Payment) == 0
    assert _count(app, AuditEntry, AuditEntry.action == "bank_transfer") == 0


@pytest.mark.parametrize("reference", ["", "   ", "ab", "x" * 121, "\n\t"])
def test_a_missing_short_or_long_reference_is_refused(app, ordered, client_for, reference) -> None:
    refused = _pay(owner(client_for), ordered, {"reference": reference})
    assert refused.status_code == 400
    assert "Please enter the bank&#39;s reference for the transfer (3 to 120 characters)." in refused.text
    assert _invoice(app, ordered).status.value == "issued" and _count(app, Payment) == 0
    assert _count(app, AuditEntry, AuditEntry.action == "bank_transfer") == 0
    assert outbox(app, kind="payment_receipt") == []


@pytest.mark.parametrize("reference", ["MBB\x00 2611", "MBB\x07 2611"])
def test_a_reference_with_control_characters_is_refused(app, ordered, client_for, reference) -> None:
    """Invisible characters never reach the invoice the customer sees (and a NUL would crash PostgreSQL)."""
    refused = _pay(owner(client_for), ordered, {"reference": reference})
    assert refused.status_code == 400 and "invisible control characters" in refused.text
    assert _invoice(app, ordered).status.value == "issued" and _count(app, Payment) == 0
    assert outbox(app, kind="payment_receipt") == []


def test_another_shops_order_is_not_found_and_stays_unpaid(app, ordered, client_for) -> None:
    checkout(client_for, "kedai.localhost", "raj@example.org", "raj-garage.my")
    checkout(client_for, "kedai.localhost", "raj@example.org", "raj-motors.my")
    theirs = only_order_number(app, "kedai")
    assert theirs == 2  # Acme has no order 2
    team = owner(client_for)
    token = csrf_from(team.get(f"/console/orders/{ordered}").text)
    assert _pay(team, theirs, {"reference": "MBB 9"}, token).status_code == 404
    assert _pay(team, 99999999999, {"reference": "MBB 9"}, token).status_code == 404
    assert team.get("/console/orders/99999999999").status_code == 404
    assert _invoice(app, theirs, "kedai").status.value == "issued" and _count(app, Payment) == 0


def test_a_post_without_its_csrf_token_is_refused(app, ordered, client_for) -> None:
    team = owner(client_for)
    response = team.post(f"/console/orders/{ordered}/bank-transfer", data={"reference": "MBB 1"})
    assert response.status_code == 400 and _invoice(app, ordered).status.value == "issued"


def test_agents_are_refused_orders(app, ordered, client_for) -> None:
    team = agent(app, client_for)
    token = csrf_from(team.get("/console/customers").text)
    assert team.get("/console/orders").status_code == 403
    assert team.get(f"/console/orders/{ordered}").status_code == 403
    assert _pay(team, ordered, {"reference": "MBB 1"}, token).status_code == 403
    assert (
        _invoice(app, ordered).status.value == "issued"
        and 'href="/console/orders"' not in team.get("/console/customers").text
    )


def test_a_payment_the_platform_recorded_names_no_staff(app, ordered, client_for) -> None:
    with app.app_context():
        invoice = db.session.get(Invoice, _invoice(app, ordered).id)
        mark_bank_transfer_paid(invoice, "MBB 7", recorded_by="staff:ops@platform.test")
    page = owner(client_for).get(f"/console/orders/{ordered}").text
    assert "The payments desk" in page and "ops@platform.test" not in page
