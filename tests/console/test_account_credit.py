"""Account credit in the console: the customer page's balance and adjustments, and every overpayment on
"Refunds and credit", given back as a refund or kept as the customer's credit, once."""

from __future__ import annotations

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import AuditEntry, RefundDue
from tests.commerce.credit_support import ledger
from tests.console.shop_data import agent
from tests.shop.helpers import csrf_from
from tests.shop.test_payments import ordered  # noqa: F401  (a fixture charged_twice needs)
from tests.shop.test_refunds import _refunds, charged_twice  # noqa: F401  (charged_twice is a fixture)
from tests.steps import customer_id, customer_number, owner_client


def _actions(app, action: str) -> list[tuple[str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.record, AuditEntry.customer_id).where(AuditEntry.action == action)
        )
        return [tuple(row) for row in rows]


def test_the_owner_adjusts_credit_by_hand_with_a_reason(app, demo, client_for) -> None:
    team = owner_client(client_for)
    path = f"/console/customers/{customer_number(app)}"
    page = team.get(path).text
    assert "Account credit" in page and "RM 0.00" in page and "Adjust the credit" in page
    token = csrf_from(page)
    added = team.post(
        f"{path}/credit",
        data={"direction": "add", "amount": "25.50", "reason": "Sorry for the outage", "csrf_token": token},
    )
    assert added.status_code == 303
    page = team.get(path).text
    assert "RM 25.50" in page and "Sorry for the outage" in page
    for form, message in (
        ({"direction": "take", "amount": "30", "reason": "Typo"}, "only RM 25.50 of account credit"),
        ({"direction": "add", "amount": "10", "reason": ""}, "Give a reason the customer can read"),
        ({"direction": "add", "amount": "1e5", "reason": "Bonus"}, "Please enter the amount as a number"),
        ({"direction": "add", "amount": "0.00", "reason": "Bonus"}, "more than zero"),
        ({"direction": "add", "amount": "2000000", "reason": "Bonus"}, "at most RM 1,000,000.00"),
        ({"direction": "gift", "amount": "1", "reason": "Bonus"}, "Not a valid choice"),
        ({"amount": "1", "reason": "Bonus"}, "Choose whether to add credit or take it away"),
    ):
        refused = team.post(f"{path}/credit", data=form | {"csrf_token": token})
        assert refused.status_code == 400 and message in refused.text, form
    assert ledger(app) == [(2550, 2550, "adjustment")]
    assert _actions(app, "adjust_credit") == [(f"customer:{customer_id(app)}", customer_id(app))]
    assert (
        team.post(
            f"{path}/credit", data={"direction": "add", "amount": "1", "reason": "No token"}
        ).status_code
        == 400
    )
    kedai = owner_client(client_for, "kedai.localhost")
    kedai_token = csrf_from(kedai.get("/console/customers").text)
    form = {"direction": "add", "amount": "1", "reason": "Not mine", "csrf_token": kedai_token}
    assert kedai.post("/console/customers/999/credit", data=form).status_code == 404
    assert len(ledger(app)) == 1


def test_an_agent_sees_the_balance_but_cannot_adjust_it(app, demo, client_for) -> None:
    helper = agent(app, client_for)
    path = f"/console/customers/{customer_number(app)}"
    page = helper.get(path).text
    assert "Account credit" in page and "Adjust the credit" not in page
    form = {"direction": "add", "amount": "5", "reason": "Because", "csrf_token": csrf_from(page)}
    assert helper.post(f"{path}/credit", data=form).status_code == 403
    assert ledger(app) == []


def test_an_overpayment_becomes_account_credit_once(app, charged_twice, client_for) -> None:  # noqa: F811
    team = owner_client(client_for)
    listing = team.get("/console/refunds").text
    assert "Overpayments" in listing and "ch_evt_2" in listing and "RM 348.00" in listing
    form = {"charge": "ch_evt_2", "back": "refunds", "csrf_token": csrf_from(listing)}
    credited = team.post("/console/orders/1/refunds/credit", data=form)
    assert credited.status_code == 303 and credited.headers["Location"] == "/console/refunds"
    assert ledger(app) == [(34800, 34800, "overpayment")]
    [refund] = _refunds(app)
    assert refund.credited_at is not None and refund.refunded_at is None
    assert "ch_evt_2" not in team.get("/console/refunds").text
    assert "Given as account credit" in team.get("/console/orders/1").text
    again = team.post("/console/orders/1/refunds/credit", data=form)
    assert again.status_code == 409 and "already given back" in again.text
    refunded = team.post("/console/orders/1/refunds", data=form | {"reference": "RF 1"})
    assert refunded.status_code == 409 and _refunds(app)[0].refunded_at is None  # not both
    assert len(ledger(app)) == 1
    assert _actions(app, "credited") == [(f"refund:{refund.id}", customer_id(app))]
    assert "RM 348.00" in charged_twice.get("/account").text  # the customer sees the credit
    assert "Overpayment on invoice INV-000001" in charged_twice.get("/account/invoices").text


def test_an_overpayment_refunded_from_the_screen_is_no_credit(app, charged_twice, client_for) -> None:  # noqa: F811
    team = owner_client(client_for)
    listing = team.get("/console/refunds").text
    form = {"charge": "ch_evt_2", "back": "refunds", "csrf_token": csrf_from(listing)}
    done = team.post("/console/orders/1/refunds", data=form | {"reference": "RF 2611 0001"})
    assert done.status_code == 303 and done.headers["Location"] == "/console/refunds"
    assert team.post("/console/orders/1/refunds/credit", data=form).status_code == 409
    assert ledger(app) == [] and _refunds(app)[0].refund_reference == "RF 2611 0001"
    with app.app_context():
        assert db.session.scalar(select(RefundDue.credited_at)) is None
    assert "No overpayment waits" in team.get("/console/refunds").text


def test_the_screen_is_for_owners_and_audits_each_customer_it_shows(app, charged_twice, client_for) -> None:  # noqa: F811
    helper = agent(app, client_for)
    assert helper.get("/console/refunds").status_code == 403
    owner_client(client_for).get("/console/refunds")
    with app.app_context():
        listed = db.session.scalars(
            select(AuditEntry.customer_id).where(AuditEntry.record == "refunds", AuditEntry.action == "list")
        ).all()
    assert sorted(listed, key=lambda x: x or 0) == [None, customer_id(app)]
    assert (
        "saw money owed to you in the list of refunds and credit"
        in charged_twice.get("/account/privacy").text
    )
