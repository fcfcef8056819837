"""Money a gateway took that no invoice accepts becomes a refund to make, on the staff desk and in the
shop's console, until someone records that it was given back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import AuditEntry, Invoice, Order, Payment, RefundDue, StaffRole
from tests.shop.helpers import csrf_from
from tests.shop.test_payments import (  # noqa: F401  (ordered is a fixture)
    ACME,
    _callback,
    _event,
    _invoice,
    _pay_by_card,
    _sign,
    ordered,
)
from tests.staff.test_provisioning import _staff
from tests.steps import owner_client, team_sign_in


def _second_charge(app, client_for, event_id: str = "evt_2", **changes):
    body = _event(_invoice(app), id=event_id, charge=f"ch_{event_id}", **changes)
    return _callback(client_for(ACME), body, _sign(app, body))


def _refunds(app) -> list[RefundDue]:
    with app.app_context():
        rows = list(db.session.scalars(select(RefundDue).order_by(RefundDue.id)))
        db.session.expunge_all()
        return rows


def _order_number(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Order.number).join(Invoice, Invoice.order_id == Order.id))


@pytest.fixture
def charged_twice(app, ordered, client_for):  # noqa: F811
    """Aisyah paid invoice 1 by card; the gateway then reported a second valid charge for it."""
    _pay_by_card(ordered)
    response = _second_charge(app, client_for)
    assert response.status_code == 409
    return ordered


def test_a_second_charge_on_a_paid_invoice_becomes_a_refund_to_make_once(
    app, charged_twice, client_for
) -> None:
    invoice = _invoice(app)
    [refund] = _refunds(app)
    assert (refund.invoice_id, refund.amount_minor, refund.currency) == (
        invoice.id,
        invoice.total_minor,
        "MYR",
    )
    assert (refund.gateway, refund.charge_reference, refund.event_id) == ("sandbox_card", "ch_evt_2", "evt_2")
    assert refund.reseller_id == invoice.reseller_id and refund.created_at is not None
    assert refund.refunded_at is None and "already paid" in refund.reason
    assert _second_charge(app, client_for).status_code == 200  # the gateway's retry: a duplicate
    assert len(_refunds(app)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_a_declined_or_unknown_charge_is_no_refund(app, ordered, client_for) -> None:  # noqa: F811
    _pay_by_card(ordered)
    assert _second_charge(app, client_for, "evt_declined", type="payment.failed").status_code == 200
    assert _second_charge(app, client_for, "evt_unknown", invoice=999).status_code == 400
    assert _refunds(app) == []


def test_a_charge_of_the_wrong_amount_is_refused_and_refunded_in_full(app, ordered, client_for) -> None:  # noqa: F811
    assert _second_charge(app, client_for, "evt_short", amount=100).status_code == 400
    assert _invoice(app).status.value == "issued"
    [refund] = _refunds(app)
    assert (refund.amount_minor, refund.reason) == (100, "The amount or currency does not match the invoice.")


def test_the_payments_desk_lists_it_and_records_the_refund_once(
    app, charged_twice, client_for, make_staff
) -> None:
    staff = _staff(client_for, make_staff)
    page = staff.get("/staff/payments").text
    assert "Refunds to make" in page and "INV-000001" in page and "ch_evt_2" in page
    assert "RM 348.00" in page and "Acme Hosting" in page and "Card (test payments)" in page
    assert "aisyah" not in page.lower()  # no customer personal data on the desk
    [refund] = _refunds(app)
    path = f"/staff/payments/refunds/{refund.id}/refunded"
    blank = staff.post(path, data={"reference": " ", "csrf_token": csrf_from(page)})
    assert blank.status_code == 400 and "reference" in blank.text
    assert _refunds(app)[0].refunded_at is None
    done = staff.post(path, data={"reference": "RF 2611 0001", "csrf_token": csrf_from(page)})
    assert done.status_code == 303
    [refund] = _refunds(app)
    assert refund.refund_reference == "RF 2611 0001" and refund.refunded_by.startswith("staff:")
    assert "ch_evt_2" not in staff.get("/staff/payments").text
    again = staff.post(path, data={"reference": "RF 2611 0002", "csrf_token": csrf_from(page)})
    assert again.status_code == 409 and _refunds(app)[0].refund_reference == "RF 2611 0001"
    assert (
        staff.post(
            "/staff/payments/refunds/999/refunded", data={"reference": "RF 1", "csrf_token": csrf_from(page)}
        ).status_code
        == 404
    )
    with app.app_context():
        entries = db.session.execute(
            select(AuditEntry.record, AuditEntry.action, AuditEntry.customer_id).where(
                AuditEntry.action == "refunded"
            )
        ).all()
        invoice = db.session.get(Invoice, refund.invoice_id)
        assert entries == [(f"refund:{refund.id}", "refunded", invoice.customer_id)]


def test_support_staff_do_not_reach_the_payments_desk(app, charged_twice, client_for, make_staff) -> None:
    staff = _staff(client_for, make_staff, role=StaffRole.SUPPORT)
    assert staff.get("/staff/payments").status_code == 403


def test_the_shop_sees_it_on_its_orders_and_records_the_refund(app, charged_twice, client_for) -> None:
    owner = owner_client(client_for)
    listing = owner.get("/console/orders").text
    assert "Refunds to make" in listing and "INV-000001" in listing and "RM 348.00" in listing
    order_path = f"/console/orders/{_order_number(app)}"
    page = owner.get(order_path).text
    assert "Refund to make" in page and "ch_evt_2" in page and "RM 348.00" in page
    form = {"charge": "ch_evt_2", "csrf_token": csrf_from(page)}
    short = owner.post(f"{order_path}/refunds", data=form | {"reference": "x"})
    assert short.status_code == 400 and _refunds(app)[0].refunded_at is None
    unknown = owner.post(f"{order_path}/refunds", data=form | {"charge": "ch_other", "reference": "RF 77"})
    assert unknown.status_code == 404
    done = owner.post(f"{order_path}/refunds", data=form | {"reference": "Maybank RF 77"})
    assert done.status_code == 303
    [refund] = _refunds(app)
    assert refund.refund_reference == "Maybank RF 77" and refund.refunded_by.startswith("team:")
    assert "Refunds to make" not in owner.get("/console/orders").text
    assert "Refunded" in owner.get(order_path).text and "Maybank RF 77" in owner.get(order_path).text
    again = owner.post(f"{order_path}/refunds", data=form | {"reference": "Maybank RF 78"})
    assert again.status_code == 409
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.record == f"refund:{refund.id}")
            )
            == 1
        )


def test_another_shop_and_agents_cannot_touch_it(app, charged_twice, client_for) -> None:
    order_path = f"/console/orders/{_order_number(app)}"
    kedai = owner_client(client_for, "kedai.localhost")
    token = csrf_from(kedai.get("/console/orders").text)
    assert "ch_evt_2" not in kedai.get("/console/orders").text
    form = {"charge": "ch_evt_2", "reference": "RF 77", "csrf_token": token}
    assert kedai.post(f"{order_path}/refunds", data=form).status_code == 404
    agent = client_for(ACME)
    team_sign_in(agent, "agent@acme-hosting.test")
    form["csrf_token"] = csrf_from(agent.get("/console/tickets").text)
    assert agent.post(f"{order_path}/refunds", data=form).status_code == 403
    assert _refunds(app)[0].refunded_at is None
