"""Staff work queues: paid services across shops, activation, and bank transfers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Invoice, OutboxMessage, Service, StaffRole
from tests.leakguard import find_leaks
from tests.shop.helpers import csrf_from, sign_in
from tests.shop.test_checkout import signed_in_with_cart
from tests.staff.test_login import sign_in as staff_sign_in

STAFF = "staff.localhost"


def _order(client_for, host="acme.localhost", email="aisyah@example.com", domain="aisyah-bakery.com.my"):
    client, item, form = signed_in_with_cart(client_for, host, email)
    client.post("/checkout", data=form | {f"choice-{item}": "register", f"domain-{item}": domain})
    return client


def _staff(client_for, make_staff, role=StaffRole.BILLING):
    make_staff(email="ops@platform.test", role=role)
    client = client_for(STAFF)
    staff_sign_in(client, "ops@platform.test", "correct horse battery")
    return client


def _invoice_id(app, host_slug_email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Invoice.id).where(Invoice.buyer_email == host_slug_email))


def test_bank_transfer_marked_paid_by_staff_with_its_reference(app, demo, client_for, make_staff) -> None:
    customer = _order(client_for)
    staff = _staff(client_for, make_staff)
    page = staff.get("/staff/payments").text
    assert "INV-000001" in page and "Acme Hosting" in page and "RM 348.00" in page
    assert "aisyah" not in page.lower()  # no customer personal data on the desk
    invoice_id = _invoice_id(app, "aisyah@example.com")
    empty = staff.post(
        f"/staff/payments/{invoice_id}/bank-transfer", data={"reference": " ", "csrf_token": csrf_from(page)}
    )
    assert empty.status_code == 400 and "reference for the transfer" in empty.text
    done = staff.post(
        f"/staff/payments/{invoice_id}/bank-transfer",
        data={"reference": "MBB 2611 0042", "csrf_token": csrf_from(page)},
    )
    assert done.status_code == 303
    assert "MBB 2611 0042" in customer.get("/account/invoices/1").text
    again = staff.post(
        f"/staff/payments/{invoice_id}/bank-transfer",
        data={"reference": "MBB 2611 0042", "csrf_token": csrf_from(page)},
    )
    assert again.status_code == 409


def test_provisioning_queue_spans_shops_and_activation_reaches_the_customer(
    app, demo, client_for, make_staff
) -> None:
    customers = [
        _order(client_for),
        _order(client_for, "kedai.localhost", "raj@example.org", "raj-motors.my"),
    ]
    staff = _staff(client_for, make_staff)
    page = staff.get("/staff/payments").text
    for email in ("aisyah@example.com", "raj@example.org"):
        staff.post(
            f"/staff/payments/{_invoice_id(app, email)}/bank-transfer",
            data={"reference": f"ref {email[:4]}", "csrf_token": csrf_from(page)},
        )
    queue = staff.get("/staff/provisioning").text
    assert "aisyah-bakery.com.my" in queue and "raj-motors.my" in queue
    assert "Acme Hosting" in queue and "Kedai Hosting" in queue
    assert "Nur Aisyah" not in queue and "raj@example.org" not in queue
    with app.app_context():
        service_id = db.session.scalar(select(Service.id).where(Service.domain == "aisyah-bakery.com.my"))
    bad = staff.post(
        f"/staff/provisioning/{service_id}/activate",
        data={"server": "web12", "username": "Bad User!", "csrf_token": csrf_from(queue)},
    )
    assert bad.status_code == 400 and "lower-case letters" in bad.text
    ok = staff.post(
        f"/staff/provisioning/{service_id}/activate",
        data={"server": "web12.internal", "username": "aisyahbk", "csrf_token": csrf_from(queue)},
    )
    assert ok.status_code == 303
    services = customers[0].get("/account/services").text
    assert "Active" in services and "aisyahbk" in services
    assert "ns1.acme-hosting.test" in services and "ns2.acme-hosting.test" in services
    assert "web12" not in services and not find_leaks(app.config, services)
    with app.app_context():
        email = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "service_active"))
        assert email.to_address == "aisyah@example.com" and "ns1.acme-hosting.test" in email.text_body
    again = staff.post(
        f"/staff/provisioning/{service_id}/activate",
        data={"server": "web12", "username": "aisyahbk", "csrf_token": csrf_from(queue)},
    )
    assert again.status_code == 400 and "already active" in again.text
    assert "aisyah-bakery.com.my" not in staff.get("/staff/provisioning").text


@pytest.mark.parametrize("path", ["/staff/provisioning", "/staff/payments"])
def test_work_queues_need_a_staff_sign_in_and_the_staff_host(demo, client_for, path: str) -> None:
    assert client_for(STAFF).get(path).headers["Location"].startswith("/staff/login")
    shop = client_for("acme.localhost")
    sign_in(shop, "aisyah@example.com")
    assert shop.get(path).status_code == 404


def test_unknown_ids_are_not_found(demo, client_for, make_staff) -> None:
    staff = _staff(client_for, make_staff)
    token = csrf_from(staff.get("/staff/provisioning").text)
    assert (
        staff.post(
            "/staff/provisioning/999/activate",
            data={"server": "web1", "username": "abc", "csrf_token": token},
        ).status_code
        == 404
    )
    assert (
        staff.post(
            "/staff/payments/999/bank-transfer", data={"reference": "abc", "csrf_token": token}
        ).status_code
        == 404
    )


def test_support_staff_cannot_use_the_billing_desk(demo, client_for, make_staff) -> None:
    staff = _staff(client_for, make_staff, role=StaffRole.SUPPORT)
    for path in ("/staff/provisioning", "/staff/payments"):
        assert staff.get(path).status_code == 403
    token = csrf_from(staff.get("/staff/login").text)
    assert (
        staff.post(
            "/staff/payments/1/bank-transfer", data={"reference": "x", "csrf_token": token}
        ).status_code
        == 403
    )
