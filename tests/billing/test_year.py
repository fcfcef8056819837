"""A service walked through a year, one billing run a day: renewals at its own price, reminders, a
suspension lifted by payment, a price change with its notice, and finally termination."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import time_machine
from sqlalchemy import select

from storefront.billing.price_changes import schedule_price_change
from storefront.extensions import db
from storefront.models import BillingNotice, LedgerEntry, RefundDue, Reseller, Service
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
from tests.shop.helpers import csrf_from, sign_in

BOUGHT = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)  # 09:00 on 31 Jan in Kuala Lumpur: the anchor is 31


def _at(day: date, hour: int = 1) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _open_invoice(app, service_id: int) -> tuple[int, date] | None:
    issued = [
        (n, start) for n, start, _, status, _ in renewal_invoices(app, service_id) if status == "issued"
    ]
    return issued[0] if issued else None


def test_a_year_of_renewals_reminders_suspension_and_termination(app, demo, client_for) -> None:
    service_id = buy_service(app, client_for, BOUGHT)
    assert service_state(app, service_id) == ("active", date(2026, 2, 28), None)
    sent: list[tuple[date, str]] = []
    seen = len(billing_emails(app))
    day = date(2026, 2, 1)
    while day <= date(2027, 1, 31):
        run(app, _at(day), shop_slug="acme")
        open_invoice = _open_invoice(app, service_id)
        if open_invoice and _pays_on(day, open_invoice[1]):
            if day == date(2026, 4, 8):
                pay_by_bank_transfer(app, open_invoice[0], _at(day, 3))
            else:
                pay_by_card(client_for, open_invoice[0], _at(day, 3))
        if day == date(2026, 6, 1):
            with time_machine.travel(_at(day, 4), tick=False), app.app_context():
                shop = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
                schedule_price_change(
                    shop, db.session.get(Service, service_id), 1590, date(2026, 7, 31), "team:1"
                )
                db.session.commit()
        emails = billing_emails(app)
        sent += [(day, kind) for kind, _ in emails[seen:]]
        seen = len(emails)
        day += timedelta(days=1)

    paid_monthly = [date(2026, month, d) for month, d in ((4, 30), (5, 31), (6, 30), (7, 31), (8, 31))]
    expected = [
        (date(2026, 2, 14), "renewal_invoice"),
        (date(2026, 2, 21), "renewal_reminder"),  # 7 days before 28 Feb
        (date(2026, 2, 22), "renewal_receipt"),
        (date(2026, 3, 17), "renewal_invoice"),  # 14 days before 31 Mar
        (date(2026, 3, 24), "renewal_reminder"),
        (date(2026, 3, 31), "renewal_reminder"),  # due today
        (date(2026, 4, 3), "renewal_reminder"),
        (date(2026, 4, 5), "service_suspended"),
        (date(2026, 4, 7), "renewal_reminder"),
        (date(2026, 4, 8), "renewal_receipt"),  # paid by bank transfer: unsuspended
    ]
    for due in paid_monthly:
        issued_on = due - timedelta(days=14)
        expected += [(issued_on, "renewal_invoice"), (issued_on + timedelta(days=1), "renewal_receipt")]
        if due == date(2026, 5, 31):
            expected.append((date(2026, 6, 1), "price_change_notice"))
    expected += [
        (date(2026, 9, 16), "renewal_invoice"),
        (date(2026, 9, 23), "renewal_reminder"),
        (date(2026, 9, 30), "renewal_reminder"),
        (date(2026, 10, 3), "renewal_reminder"),
        (date(2026, 10, 5), "service_suspended"),
        (date(2026, 10, 7), "renewal_reminder"),
        (date(2026, 10, 23), "termination_warning"),  # 7 days before termination
        (date(2026, 10, 30), "service_terminated"),  # 30 days overdue
    ]
    assert sent == expected

    invoices = renewal_invoices(app, service_id)
    assert [(start, end, status, total) for _, start, end, status, total in invoices] == [
        (date(2026, 2, 28), date(2026, 3, 31), "paid", 1290),
        (date(2026, 3, 31), date(2026, 4, 30), "paid", 1290),
        (date(2026, 4, 30), date(2026, 5, 31), "paid", 1290),
        (date(2026, 5, 31), date(2026, 6, 30), "paid", 1290),
        (date(2026, 6, 30), date(2026, 7, 31), "paid", 1290),
        (date(2026, 7, 31), date(2026, 8, 31), "paid", 1590),  # the new price, announced on 1 Jun
        (date(2026, 8, 31), date(2026, 9, 30), "paid", 1590),
        (date(2026, 9, 30), date(2026, 10, 31), "cancelled", 1590),  # cancelled with the service
    ]
    # Terminated: its invoice is cancelled, so a payment on 5 Nov is refused and nothing is owed.
    assert service_state(app, service_id) == ("terminated", date(2026, 9, 30), None)
    late = client_for("acme.localhost")
    sign_in(late, AISYAH)
    number = invoices[-1][0]
    token = csrf_from(late.get(f"/account/invoices/{number}").text)
    assert late.post(f"/account/invoices/{number}/pay/card", data={"csrf_token": token}).status_code == 409
    changes = [(what, status) for what, _, status in history(app, service_id)]
    assert changes == [
        ("created", "pending"),
        ("activated", "active"),
        ("renewed", None),
        ("suspended", "suspended"),
        ("renewed", None),
        ("unsuspended", "active"),
        ("renewed", None),
        ("renewed", None),
        ("price_change_scheduled", None),
        ("renewed", None),
        ("price_changed", None),
        ("renewed", None),
        ("renewed", None),
        ("suspended", "suspended"),
        ("terminated", "terminated"),
    ]
    with app.app_context():
        assert db.session.scalar(select(RefundDue)) is None
        # The shop pays wholesale for each renewal it kept (the demo's Starter: RM 5.00 a month).
        renewal_charges = db.session.scalars(
            select(LedgerEntry.amount_minor).where(LedgerEntry.invoice_line_id.is_not(None))
        ).all()
        assert renewal_charges == [500] * 7
        triggers = db.session.scalars(
            select(BillingNotice.trigger)
            .where(
                BillingNotice.invoice_id.in_(
                    select(BillingNotice.invoice_id).where(BillingNotice.trigger == "terminated")
                )
            )
            .order_by(BillingNotice.id)
        ).all()
        assert triggers == [
            "invoice_issued",
            "reminder_-7",
            "due_0",
            "overdue_3",
            "suspended",
            "overdue_7",
            "termination_warning",
            "terminated",
        ]


def _pays_on(day: date, period_start: date) -> bool:
    """The customer's habit: the 28 Feb renewal a day after its reminder, the 31 Mar one late (8 Apr),
    the next five the day after their invoice, and the 30 Sep one never (it tries on 5 Nov, too late)."""
    if period_start == date(2026, 2, 28):
        return day == date(2026, 2, 22)
    if period_start == date(2026, 3, 31):
        return day == date(2026, 4, 8)
    if period_start <= date(2026, 8, 31):
        return day == period_start - timedelta(days=13)
    return False


def test_a_year_with_an_upgrade_and_a_downgrade_keeps_the_due_dates(app, demo, client_for) -> None:
    """Starter from 31 Jan; on 10 May the customer moves up to Business (21 of May's 31 days left) and pays
    the difference by card; on 1 Sep back down to Starter (29 of 30 days left), the surplus to credit,
    which pays the next renewal first. Every renewal is paid the day after it is issued."""
    from tests.shop.service_steps import (
        balance,
        confirm_plan_change,
        plan_change_invoices,
        plan_of,
        signed_in,
    )
    from tests.steps import customer_id

    service_id = buy_service(app, client_for, BOUGHT)
    day = date(2026, 2, 1)
    while day <= date(2027, 1, 31):
        run(app, _at(day), shop_slug="acme")
        open_invoice = _open_invoice(app, service_id)
        if open_invoice and day > open_invoice[1] - timedelta(days=14):
            pay_by_card(client_for, open_invoice[0], _at(day, 3))
        if day in (date(2026, 5, 10), date(2026, 9, 1)):
            plan = "business" if day.month == 5 else "starter"
            with time_machine.travel(_at(day, 4), tick=False):
                answer, _ = confirm_plan_change(signed_in(client_for), 1, plan)
                assert answer.status_code == 303
            if plan == "business":
                pay_by_card(client_for, plan_change_invoices(app, service_id)[0][0], _at(day, 5))
                assert plan_of(app, service_id) == ("business", 2490, date(2026, 5, 31))
            else:
                assert plan_of(app, service_id) == ("starter", 1290, date(2026, 9, 30))
                assert balance(app) == 2407 - 1247  # 2490 and 1290 × 29 / 30
        day += timedelta(days=1)

    assert [(status, total) for _, status, total in plan_change_invoices(app, service_id)] == [
        ("paid", 1687 - 874)  # 2490 and 1290 × 21 / 31
    ]
    renewals = [(start, total) for _, start, _, status, total in renewal_invoices(app, service_id)]
    assert [total for _, total in renewals] == [1290] * 3 + [2490] * 4 + [1290] * 5
    assert [start for start, _ in renewals] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
        date(2026, 7, 31),
        date(2026, 8, 31),
        date(2026, 9, 30),
        date(2026, 10, 31),
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
    ]
    assert all(status == "paid" for _, _, _, status, _ in renewal_invoices(app, service_id))
    assert balance(app) == 0  # the downgrade's credit paid part of the 30 Sep renewal
    assert service_state(app, service_id) == ("active", date(2027, 2, 28), None)
    me = f"customer:{customer_id(app)}"
    assert [(what, actor) for what, actor, _ in history(app, service_id) if what.startswith("plan_")] == [
        ("plan_change_invoiced", me),
        ("plan_changed", "system"),  # when the invoice was paid
        ("plan_changed", me),  # the downgrade, at once
    ]
    with app.app_context():
        wholesale = db.session.scalars(
            select(LedgerEntry.amount_minor)
            .where(LedgerEntry.invoice_line_id.is_not(None))
            .order_by(LedgerEntry.id)
        ).all()
    # Renewals at the plan's wholesale price, and the upgrade's difference: 1200 less 500, × 21 / 31.
    assert wholesale == [500] * 3 + [813 - 339] + [1200] * 4 + [500] * 5
