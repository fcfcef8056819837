"""Changing plan from the service page: an upgrade invoiced for the prorated difference and applied once
when paid, a downgrade applied at once with its surplus as account credit, and every refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select

from storefront.commerce.sandbox_gateway import charge, handle_callback
from storefront.extensions import db
from storefront.models import (
    AccountCreditEntry,
    Invoice,
    InvoicePurpose,
    LedgerEntry,
    Service,
    ServiceEvent,
    ServiceStatus,
)
from tests.billing.helpers import AISYAH, history, pay_by_card, renewal_invoices, run
from tests.shop.helpers import csrf_from, outbox
from tests.shop.service_steps import (
    MID_FEBRUARY,
    at,
    balance,
    bought_service,
    confirm_plan_change,
    invoice_count,
    plan_change_invoices,
    plan_of,
    post_on_page,
    signed_in,
)
from tests.steps import customer_id

# On 10 Feb, 18 of the 28 days from 31 Jan to 28 Feb are left. Starter is RM 12.90 a month at Acme,
# Business RM 24.90, Pro RM 49.90; wholesale RM 5, RM 12 and RM 25.
STARTER_UNUSED = 829  # 1290 × 18 / 28 = 829.29
BUSINESS_LEFT = 1601  # 2490 × 18 / 28 = 1600.71
WHOLESALE_DIFFERENCE = 771 - 321  # 1200 × 18 / 28 = 771.43 less 500 × 18 / 28 = 321.43


def _count(app, model, *conditions) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def _upgraded(app, client_for) -> tuple[int, int, int]:
    """A Starter service moved towards Business on 10 Feb; return (service id, number, invoice number)."""
    service_id, number = bought_service(app, client_for)
    with at(MID_FEBRUARY):
        answer, _ = confirm_plan_change(signed_in(client_for), number, "business")
    assert answer.status_code == 303
    invoice = int(urlsplit(answer.headers["Location"]).path.rsplit("/", 1)[1])
    return service_id, number, invoice


def test_an_upgrade_is_invoiced_for_the_prorated_difference(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        review = client.get(f"/account/services/{number}/change-plan?plan=business").text
        assert "18 of the 28 days you have paid for are left" in review
        assert "RM 16.01" in review and "−RM 8.29" in review and "RM 7.72" in review
        answer, _ = confirm_plan_change(client, number, "business")
        assert answer.status_code == 303
        invoice_page = client.get(urlsplit(answer.headers["Location"]).path).text
        assert (
            "Move from Starter to Business for anchored.com, 10 Feb 2026 to 27 Feb 2026 (18 of 28 days)"
            in invoice_page
        )
        assert "Pay RM 7.72 by card" in invoice_page
        page = client.get(f"/account/services/{number}").text
        assert "Waiting for payment: the move to Business" in page and "Move to Business" in page
    ((_, status, total),) = plan_change_invoices(app, service_id)
    assert (status, total) == ("issued", BUSINESS_LEFT - STARTER_UNUSED)
    assert plan_of(app, service_id) == ("starter", 1290, date(2026, 2, 28))  # nothing moves before payment
    email = outbox(app, to=AISYAH, kind="service_change")[-1]
    assert email.subject == "Your move to Business for anchored.com: invoice INV-000002"
    assert "please pay RM 7.72 on invoice INV-000002" in email.text_body


def test_paying_the_upgrade_by_card_switches_plan_and_price_once_with_the_due_date_unchanged(
    app, demo, client_for
) -> None:
    service_id, number, invoice = _upgraded(app, client_for)
    pay_by_card(client_for, invoice, datetime(2026, 2, 10, 3, tzinfo=UTC))
    assert plan_of(app, service_id) == ("business", 2490, date(2026, 2, 28))
    assert _count(app, ServiceEvent, ServiceEvent.what == "plan_changed") == 1
    with app.app_context():
        (charged,) = db.session.scalars(
            select(LedgerEntry.amount_minor).where(
                LedgerEntry.description.like("Move from Starter to Business%")
            )
        ).all()
        assert charged == WHOLESALE_DIFFERENCE
    assert (
        outbox(app, to=AISYAH, kind="service_change")[-1].subject
        == "Your hosting for anchored.com is now on Business"
    )
    with at(datetime(2026, 2, 10, 4, tzinfo=UTC)):
        client = signed_in(client_for)
        token = csrf_from(client.get(f"/account/invoices/{invoice}").text)
        again = client.post(f"/account/invoices/{invoice}/pay/card", data={"csrf_token": token})
        assert again.status_code == 409  # paying a paid invoice
        page = client.get(f"/account/services/{number}").text
        assert "Service 1: Business" in page and "RM 24.90/mo" in page and "28 Feb 2026" in page
    run(app, datetime(2026, 2, 14, 1, tzinfo=UTC), shop_slug="acme")
    ((_, start, end, _, total),) = renewal_invoices(app, service_id)
    assert (start, end, total) == (date(2026, 2, 28), date(2026, 3, 31), 2490)  # renews on the new plan


def test_a_replayed_callback_for_the_upgrade_changes_nothing_more(app, demo, client_for) -> None:
    service_id, _, number = _upgraded(app, client_for)
    with app.app_context():
        invoice = db.session.scalar(
            select(Invoice).where(Invoice.number == number, Invoice.purpose == InvoicePurpose.PLAN_CHANGE)
        )
        shop_id = invoice.reseller_id
    with at(datetime(2026, 2, 10, 3, tzinfo=UTC)):
        with app.app_context():
            body, signature = charge(db.session.merge(invoice), "4242 4242 4242 4242")
        callback = client_for("acme.localhost")
        headers = {"Sandbox-Signature": signature, "Content-Type": "application/json"}
        assert callback.post("/payments/sandbox/callback", data=body, headers=headers).text == "paid\n"
        assert callback.post("/payments/sandbox/callback", data=body, headers=headers).text == "duplicate\n"
        with app.app_context():
            assert handle_callback(shop_id, body, signature).result == "duplicate"
    assert plan_of(app, service_id) == ("business", 2490, date(2026, 2, 28))
    assert _count(app, ServiceEvent, ServiceEvent.what == "plan_changed") == 1
    assert _count(app, LedgerEntry, LedgerEntry.description.like("Move from%")) == 1


def test_confirming_the_upgrade_twice_gives_the_same_invoice(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        first, fields = confirm_plan_change(client, number, "business")
        second = client.post(f"/account/services/{number}/change-plan", data=fields)
        assert second.status_code == 303 and second.headers["Location"] == first.headers["Location"]
        other = client.get(f"/account/services/{number}/change-plan?plan=pro")
        assert other.status_code == 400  # one change at a time: withdraw the first to choose another
        assert "A move to another plan is waiting for payment" in other.text
    assert len(plan_change_invoices(app, service_id)) == 1


def test_account_credit_pays_the_upgrade_first(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for, plan="business")
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        confirm_plan_change(client, number, "starter")  # a downgrade: 772 to credit
        assert balance(app) == BUSINESS_LEFT - STARTER_UNUSED
        answer, _ = confirm_plan_change(client, number, "business")  # back up, for the same 772
        assert answer.status_code == 303 and answer.headers["Location"].endswith(
            f"/account/services/{number}"
        )
    ((_, status, total),) = plan_change_invoices(app, service_id)
    assert (status, total) == ("paid", 772)
    assert balance(app) == 0
    assert plan_of(app, service_id) == ("business", 2490, date(2026, 2, 28))


def test_a_downgrade_applies_at_once_and_its_surplus_becomes_account_credit(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for, plan="business")
    invoices_before = invoice_count(app)
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        review = client.get(f"/account/services/{number}/change-plan?plan=starter").text
        assert "Added to your account credit" in review and "RM 7.72" in review
        answer, fields = confirm_plan_change(client, number, "starter")
        assert answer.status_code == 303
        again = client.post(f"/account/services/{number}/change-plan", data=fields)  # a double click
        assert again.status_code == 303
        invoices = client.get("/account/invoices").text
        assert "Unused days of Business for anchored.com (service 1) after moving to Starter" in invoices
    assert plan_of(app, service_id) == ("starter", 1290, date(2026, 2, 28))
    assert balance(app) == BUSINESS_LEFT - STARTER_UNUSED
    assert invoice_count(app) == invoices_before  # never a negative invoice, nor any
    assert _count(app, AccountCreditEntry, AccountCreditEntry.source == "plan_change") == 1
    me = f"customer:{customer_id(app)}"
    assert ("plan_changed", me, None) in history(app, service_id)
    email = outbox(app, to=AISYAH, kind="service_change")[-1]
    assert email.subject == "Your hosting for anchored.com is now on Starter"
    assert "RM 7.72 is added to your account credit" in email.text_body
    run(app, datetime(2026, 2, 14, 1, tzinfo=UTC), shop_slug="acme")
    ((number_due, _, _, status, total),) = renewal_invoices(app, service_id)
    assert (status, total) == ("issued", 1290)  # the credit pays the next renewal first, in part
    assert balance(app) == 0
    with app.app_context():
        assert (
            db.session.scalar(
                select(Invoice.credit_applied_minor).where(
                    Invoice.number == number_due, Invoice.service_id == service_id
                )
            )
            == 772
        )


def test_refused_plan_changes_say_why_and_change_nothing(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        cases = {
            "starter": "This service is already on the Starter plan.",
            "wordpress": "Please choose one of the plans we sell monthly.",  # not sold by Acme
            "no-such-plan": "Please choose one of the plans we sell monthly.",
            "": "Please choose a plan.",
        }
        for plan, message in cases.items():
            refused = post_on_page(
                client, number, "change-plan", {"plan": plan, "current_plan": "starter", "quoted": "0"}
            )
            assert refused.status_code == 400, plan
            assert message in refused.text, plan
        stale = post_on_page(
            client, number, "change-plan", {"plan": "business", "current_plan": "starter", "quoted": "100"}
        )
        assert stale.status_code == 409 and "The amounts have changed" in stale.text
        garbled = post_on_page(
            client, number, "change-plan", {"plan": "business", "current_plan": "starter", "quoted": "x"}
        )
        assert garbled.status_code == 400
    assert plan_change_invoices(app, service_id) == []
    assert plan_of(app, service_id) == ("starter", 1290, date(2026, 2, 28))


def test_suspended_pending_and_cancelled_services_do_not_change_plan(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    for status, message in (
        (ServiceStatus.SUSPENDED, "A suspended service cannot change plan."),
        (ServiceStatus.PENDING, "This service is still being set up"),
        (ServiceStatus.CANCELLED, "This service has ended."),
    ):
        with app.app_context():
            service = db.session.get(Service, service_id)
            service.status = status
            service.suspension_reason = "staff" if status == ServiceStatus.SUSPENDED else None
            db.session.commit()
        with at(MID_FEBRUARY):
            client = signed_in(client_for)
            refused = post_on_page(
                client,
                number,
                "change-plan",
                {"plan": "business", "current_plan": "starter", "quoted": "772"},
            )
            assert refused.status_code == 400 and message in refused.text, status
    assert plan_change_invoices(app, service_id) == []


def test_an_unpaid_renewal_holds_plan_changes_until_its_period_starts(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    run(app, datetime(2026, 2, 14, 1, tzinfo=UTC), shop_slug="acme")
    with at(datetime(2026, 2, 15, 2, tzinfo=UTC)):
        client = signed_in(client_for)
        page = client.get(f"/account/services/{number}").text
        assert "The renewal invoice INV-000002 for the period from 28 Feb 2026 is waiting to be paid" in page
        refused = post_on_page(
            client, number, "change-plan", {"plan": "business", "current_plan": "starter", "quoted": "0"}
        )
        assert refused.status_code == 400 and "is waiting to be paid" in refused.text
    pay_by_card(client_for, renewal_invoices(app, service_id)[0][0], datetime(2026, 2, 15, 3, tzinfo=UTC))
    with at(datetime(2026, 2, 16, 2, tzinfo=UTC)):
        page = signed_in(client_for).get(f"/account/services/{number}").text
        assert "The period from 28 Feb 2026 is already paid: the plan can change from that day." in page
    with at(datetime(2026, 2, 28, 2, tzinfo=UTC)):  # the paid period has started: 31 of 31 days left
        answer, fields = confirm_plan_change(signed_in(client_for), number, "business")
        assert answer.status_code == 303 and fields["quoted"] == "1200"
    assert plan_change_invoices(app, service_id)[0][2] == 1200


def test_a_waiting_upgrade_can_be_withdrawn_and_the_next_renewal_withdraws_it(app, demo, client_for) -> None:
    service_id, number, invoice = _upgraded(app, client_for)
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        assert post_on_page(client, number, "withdraw-plan-change").status_code == 303
        assert post_on_page(client, number, "withdraw-plan-change").status_code == 400
        confirm_plan_change(client, number, "pro")
    assert [status for _, status, _ in plan_change_invoices(app, service_id)] == ["cancelled", "issued"]
    assert (
        outbox(app, to=AISYAH, kind="service_change")[-2].subject
        == "Your plan change for anchored.com is withdrawn"
    )
    run(app, datetime(2026, 2, 14, 1, tzinfo=UTC), shop_slug="acme")
    assert [status for _, status, _ in plan_change_invoices(app, service_id)] == ["cancelled", "cancelled"]
    assert ("plan_change_withdrawn", "system", None) in history(app, service_id)
    assert plan_of(app, service_id)[0] == "starter"
    with at(datetime(2026, 2, 14, 3, tzinfo=UTC)):
        client = signed_in(client_for)
        token = csrf_from(client.get(f"/account/invoices/{invoice}").text)
        assert (
            client.post(f"/account/invoices/{invoice}/pay/card", data={"csrf_token": token}).status_code
            == 409
        )


def test_a_service_past_its_due_date_waits_for_its_renewal_to_change_plan(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    with at(datetime(2026, 3, 2, 2, tzinfo=UTC)):  # due 28 Feb; no run has renewed it yet
        client = signed_in(client_for)
        page = client.get(f"/account/services/{number}")
        assert page.status_code == 200
        assert (
            "The period paid for ended on 27 Feb 2026: the plan can change once the next one is paid."
            in page.text
        )
        assert client.get(f"/account/services/{number}/change-plan?plan=business").status_code == 400
        refused = post_on_page(
            client, number, "change-plan", {"plan": "business", "current_plan": "starter", "quoted": "0"}
        )
        assert refused.status_code == 400 and "The period paid for ended" in refused.text
    assert plan_change_invoices(app, service_id) == []
