"""A service's life beyond the year's walk: unpaid new orders cancelled, ending at term, a suspension
by staff that a payment does not lift, price-change notice, and where customers and shops see it all."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import select

from storefront.billing.life import ServiceStateError, end_at_term, suspend
from storefront.billing.price_changes import PriceChangeError, schedule_price_change
from storefront.billing.renewals import renewal_paid
from storefront.commerce.payments import InvoiceClosed, mark_bank_transfer_paid
from storefront.extensions import db
from storefront.models import (
    BillingCycle,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    Order,
    Plan,
    PlanPrice,
    RefundDue,
    Reseller,
    Service,
)
from tests.billing.helpers import (
    AISYAH,
    billing_emails,
    buy_service,
    history,
    pay_by_bank_transfer,
    pay_by_card,
    renewal_invoices,
    run,
    service_state,
)
from tests.shop.helpers import csrf_from, link_in, outbox, sign_in
from tests.steps import owner_client, place_order

BOUGHT = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)


def _at(day: date, hour: int = 1) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _acme(session) -> Reseller:
    return session.scalar(select(Reseller).where(Reseller.slug == "acme"))


def _place_unpaid_order(client_for, when: datetime, domain: str = "unpaid.com") -> None:
    with time_machine.travel(when, tick=False):
        client = client_for("acme.localhost")
        sign_in(client, AISYAH)
        assert place_order(client, "starter", domain, choice="existing").status_code == 303


def test_an_order_unpaid_for_seven_days_is_cancelled_with_its_invoice(app, demo, client_for) -> None:
    _place_unpaid_order(client_for, datetime(2026, 3, 1, 15, 0, tzinfo=UTC))  # 23:00 on 1 Mar in KL
    run(app, _at(date(2026, 3, 7)), shop_slug="acme")  # six days on: it stands
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert order.status.value == "pending_payment"
    run(app, _at(date(2026, 3, 8)), shop_slug="acme")
    run(app, _at(date(2026, 3, 8), 5), shop_slug="acme")
    with app.app_context():
        order = db.session.scalar(select(Order))
        invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
        assert (order.status.value, invoice.status.value) == ("cancelled", "cancelled")
        with pytest.raises(InvoiceClosed, match="This order is cancelled"):
            mark_bank_transfer_paid(invoice, "BANK-1", "staff:desk@platform.test")
        number = invoice.number
    cancelled = outbox(app, kind="order_cancelled")
    assert len(cancelled) == 1
    assert (
        "was not paid within 7 days" in cancelled[0].text_body
        and "Nothing is owed." in cancelled[0].text_body
    )
    client = client_for("acme.localhost")
    sign_in(client, AISYAH)
    page = client.get(f"/account/invoices/{number}")
    assert "Cancelled" in page.text and "How to pay" not in page.text
    assert (
        client.post(
            f"/account/invoices/{number}/pay/card", data={"csrf_token": csrf_from(page.text)}
        ).status_code
        == 409
    )


def test_a_service_ending_at_term_gets_no_renewal_invoice_and_is_cancelled_on_its_due_date(
    app, demo, client_for
) -> None:
    service_id = buy_service(app, client_for, BOUGHT)
    with time_machine.travel(_at(date(2026, 2, 2)), tick=False), app.app_context():
        end_at_term(_acme(db.session), db.session.get(Service, service_id), "customer:1", "moving elsewhere")
        db.session.commit()
        with pytest.raises(ServiceStateError):
            end_at_term(_acme(db.session), db.session.get(Service, service_id), "customer:1", "twice")
        db.session.rollback()
    for day in (date(2026, 2, 14), date(2026, 2, 27)):
        run(app, _at(day), shop_slug="acme")
        assert service_state(app, service_id)[0] == "active"
    run(app, _at(date(2026, 2, 28)), shop_slug="acme")
    assert service_state(app, service_id)[0] == "cancelled"
    assert renewal_invoices(app, service_id) == []
    assert [kind for kind, _ in billing_emails(app)] == ["service_ended"]
    assert [what for what, _, _ in history(app, service_id)][-2:] == ["ends_at_term", "cancelled"]
    run(app, _at(date(2026, 3, 31)), shop_slug="acme")
    assert [kind for kind, _ in billing_emails(app)] == ["service_ended"]


def test_paying_does_not_lift_a_suspension_staff_decided(app, demo, client_for) -> None:
    service_id = buy_service(app, client_for, BOUGHT)
    run(app, _at(date(2026, 2, 14)), shop_slug="acme")
    with time_machine.travel(_at(date(2026, 2, 20)), tick=False), app.app_context():
        service = db.session.get(Service, service_id)
        suspend(_acme(db.session), service, "staff:abuse@platform.test", "spam sent from the account")
        db.session.commit()
    number = renewal_invoices(app, service_id)[0][0]
    pay_by_bank_transfer(app, number, _at(date(2026, 2, 21)))
    assert service_state(app, service_id) == ("suspended", date(2026, 3, 31), "staff")
    suspended = outbox(app, kind="service_suspended")[0]
    assert "spam sent from the account" in suspended.text_body and "Please contact us" in suspended.text_body


def test_an_overdue_suspension_stays_while_another_renewal_is_overdue(app, demo, client_for) -> None:
    """Two invoices overdue (a late run caught up on an old period): paying the later one is not enough."""
    service_id = buy_service(app, client_for, BOUGHT)
    run(app, _at(date(2026, 2, 14)), shop_slug="acme")
    run(app, _at(date(2026, 3, 5)), shop_slug="acme")
    assert service_state(app, service_id)[0] == "suspended"
    number = renewal_invoices(app, service_id)[0][0]
    pay_by_card(client_for, number, _at(date(2026, 3, 6)))
    assert service_state(app, service_id) == ("active", date(2026, 3, 31), None)
    assert [what for what, _, _ in history(app, service_id)][-3:] == ["suspended", "renewed", "unsuspended"]
    receipt = outbox(app, kind="renewal_receipt")[0]
    assert "It is no longer suspended" in receipt.text_body and "next due on 31 Mar 2026" in receipt.text_body


def test_a_price_change_needs_thirty_days_notice(app, demo, client_for) -> None:
    service_id = buy_service(app, client_for, BOUGHT)
    with time_machine.travel(_at(date(2026, 2, 1)), tick=False), app.app_context():
        service = db.session.get(Service, service_id)
        with pytest.raises(
            PriceChangeError, match="30 days' notice: it can apply from 3 Mar 2026 at the earliest"
        ):
            schedule_price_change(_acme(db.session), service, 1590, date(2026, 3, 2), "team:1")
        db.session.rollback()
        with pytest.raises(PriceChangeError, match="whole amount"):
            schedule_price_change(_acme(db.session), service, -5, date(2026, 4, 1), "team:1")
        db.session.rollback()
        schedule_price_change(
            _acme(db.session), db.session.get(Service, service_id), 1590, date(2026, 3, 3), "team:1"
        )
        db.session.commit()
    notice = outbox(app, kind="price_change_notice")
    assert len(notice) == 1
    assert "From 3 Mar 2026" in notice[0].text_body and "RM 15.90 instead of RM 12.90" in notice[0].text_body
    # The 28 Feb renewal keeps the old price; the 31 Mar one, the first period from 3 Mar on, the new.
    run(app, _at(date(2026, 2, 14)), shop_slug="acme")
    pay_by_card(client_for, renewal_invoices(app, service_id)[0][0], _at(date(2026, 2, 15)))
    run(app, _at(date(2026, 3, 17)), shop_slug="acme")
    assert [total for *_, total in renewal_invoices(app, service_id)] == [1290, 1590]


def test_customers_see_status_and_next_due_date_in_every_theme_and_pay_from_the_email(
    app, demo, client_for
) -> None:
    service_id = buy_service(app, client_for, BOUGHT)
    run(app, _at(date(2026, 2, 14)), shop_slug="acme")
    client = client_for("acme.localhost")
    sign_in(client, AISYAH)
    page = client.get("/account/services").text
    assert "Next due on <strong>28 Feb 2026</strong>" in page and "RM 12.90" in page
    email = outbox(app, kind="renewal_invoice")[0]
    assert "anchored.com renews on 28 Feb 2026" in email.text_body
    link = link_in(email, "/account/invoices/")
    assert link.startswith("http://shop.acme-hosting.test/account/invoices/")  # the shop's own domain
    invoice_page = client.get(urlsplit(link).path)
    assert "Starter hosting for anchored.com, 28 Feb 2026 to 30 Mar 2026" in invoice_page.text
    assert "Pay RM 12.90 by card" in invoice_page.text
    run(app, _at(date(2026, 3, 5)), shop_slug="acme")
    page = client.get("/account/services").text
    assert "Suspended because its renewal invoice is unpaid" in page
    assert service_state(app, service_id)[0] == "suspended"
    for theme in ("editorial", "bazaar"):
        with app.app_context():
            _acme(db.session).theme = theme
            db.session.commit()
        themed = client.get("/account/services")
        assert themed.status_code == 200 and "Next due on" in themed.text and "Suspended" in themed.text


def test_the_statement_lists_renewals_and_a_late_payment_is_a_refund_to_make(app, demo, client_for) -> None:
    service_id = buy_service(app, client_for, BOUGHT)
    run(app, _at(date(2026, 2, 14)), shop_slug="acme")
    pay_by_card(client_for, renewal_invoices(app, service_id)[0][0], _at(date(2026, 2, 15)))
    owner = owner_client(client_for)
    statement = owner.get("/console/statement?month=2026-02").text
    assert (
        "INV-000002" in statement
        and "Starter hosting for anchored.com, 28 Feb 2026 to 30 Mar 2026" in statement
    )
    csv = owner.get("/console/statement.csv?month=2026-02")
    assert csv.status_code == 200 and "INV-000002" in csv.text
    # The next renewal goes unpaid: warned, then terminated a week later, and its invoice is cancelled.
    for day in (date(2026, 3, 17), date(2026, 4, 30)):
        run(app, _at(day), shop_slug="acme")
    assert service_state(app, service_id)[0] == "suspended"  # warned on 30 Apr, not yet terminated
    run(app, _at(date(2026, 5, 7)), shop_slug="acme")
    assert service_state(app, service_id)[0] == "terminated"
    assert renewal_invoices(app, service_id)[1][3] == "cancelled"
    # A payment for it that reaches the service after all (it raced the termination) is money to give back.
    with app.app_context():
        invoice = db.session.scalar(
            select(Invoice).where(Invoice.number == renewal_invoices(app, service_id)[1][0])
        )
        invoice.status = InvoiceStatus.PAID  # as the racing payment left it
        renewal_paid(invoice)
        db.session.commit()
        assert db.session.scalar(select(RefundDue.reason)) == "Renewal paid after the service had ended"
    orders = owner.get("/console/orders")
    assert orders.status_code == 200 and "a renewal paid after its service ended" in orders.text
    export = client_for("acme.localhost")
    sign_in(export, AISYAH)
    data = export.get("/account/privacy/export").get_json()
    renewal = [invoice for invoice in data["invoices"] if invoice["purpose"] == "renewal"]
    assert [invoice["period"] for invoice in renewal][0] == ["2026-02-28", "2026-03-31"]
    assert [event["what"] for event in data["services"][0]["history"]][-2:] == [
        "terminated",
        "paid_after_end",
    ]


def test_the_wholesale_price_of_a_renewal_is_the_plans_on_the_day_it_is_paid(app, demo, client_for) -> None:
    service_id = buy_service(app, client_for, BOUGHT)
    run(app, _at(date(2026, 2, 14)), shop_slug="acme")
    with app.app_context():
        price = db.session.scalar(
            select(PlanPrice)
            .join(Plan)
            .where(Plan.code == "starter", PlanPrice.cycle == BillingCycle.MONTHLY)
        )
        price.amount_minor = 650
        db.session.commit()
    pay_by_card(client_for, renewal_invoices(app, service_id)[0][0], _at(date(2026, 2, 16)))
    with app.app_context():
        charges = db.session.scalars(select(LedgerEntry.amount_minor).order_by(LedgerEntry.id)).all()
    assert charges[-1] == 650


def test_a_change_of_cycle_applies_from_the_next_renewal(app, demo, client_for) -> None:
    from storefront.billing.price_changes import change_cycle_at_renewal

    service_id = buy_service(app, client_for, BOUGHT)
    with time_machine.travel(_at(date(2026, 2, 3)), tick=False), app.app_context():
        service = db.session.get(Service, service_id)
        change_cycle_at_renewal(_acme(db.session), service, BillingCycle.ANNUALLY, 12900, "customer:1")
        db.session.commit()
    run(app, _at(date(2026, 2, 14)), shop_slug="acme")
    assert [(start, end, total) for _, start, end, _, total in renewal_invoices(app, service_id)] == [
        (date(2026, 2, 28), date(2027, 2, 28), 12900)  # a year from the due date, still anchored on the 31st
    ]
    with app.app_context():
        service = db.session.get(Service, service_id)
        assert (service.cycle, service.next_cycle, service.recurring_minor) == (
            BillingCycle.ANNUALLY,
            None,
            12900,
        )
    pay_by_card(client_for, renewal_invoices(app, service_id)[0][0], _at(date(2026, 2, 15)))
    assert service_state(app, service_id) == ("active", date(2027, 2, 28), None)
    with app.app_context():  # the shop pays the plan's annual wholesale price
        assert db.session.scalars(select(LedgerEntry.amount_minor).order_by(LedgerEntry.id)).all()[-1] == 5000


def test_the_verbs_later_screens_use_write_history_and_refuse_what_does_not_apply(
    app, demo, client_for
) -> None:
    from storefront.billing.life import cancel, terminate, unsuspend

    first = buy_service(app, client_for, BOUGHT, domain="first.com")
    second = buy_service(app, client_for, BOUGHT, domain="second.com")
    with time_machine.travel(_at(date(2026, 2, 5)), tick=False), app.app_context():
        shop = _acme(db.session)
        with pytest.raises(ServiceStateError, match="Only a suspended service"):
            unsuspend(shop, db.session.get(Service, first), "team:1", "not suspended")
        db.session.rollback()
        suspend(shop, db.session.get(Service, first), "staff:ops@platform.test", "abuse report")
        unsuspend(shop, db.session.get(Service, first), "staff:ops@platform.test", "resolved")
        terminate(
            shop, db.session.get(Service, first), "staff:ops@platform.test", "customer asked to delete it"
        )
        cancel(shop, db.session.get(Service, second), "team:1", "duplicate order")
        db.session.commit()
        with pytest.raises(ServiceStateError, match="already ended"):
            cancel(shop, db.session.get(Service, first), "team:1", "again")
        db.session.rollback()
    assert history(app, first)[2:] == [
        ("suspended", "staff:ops@platform.test", "suspended"),
        ("unsuspended", "staff:ops@platform.test", "active"),
        ("terminated", "staff:ops@platform.test", "terminated"),
    ]
    assert history(app, second)[-1] == ("cancelled", "team:1", "cancelled")
    assert [kind for kind, _ in billing_emails(app)] == [
        "service_suspended",
        "service_terminated",
        "service_ended",
    ]
    terminated = outbox(app, kind="service_terminated")[0]
    assert "has been terminated: customer asked to delete it." in terminated.text_body
    run(app, _at(date(2026, 2, 14)), shop_slug="acme")  # ended services are never invoiced again
    assert renewal_invoices(app, first) == [] and renewal_invoices(app, second) == []
