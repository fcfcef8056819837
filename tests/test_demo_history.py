"""The living demo: each shop's dozen customers with a year of business, seeded once, showing real
figures on the console, the statement, the escalation screen and the customers' own pages."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from storefront.commerce.statement import month_of
from storefront.demo import load_demo_data, seed_demo
from storefront.extensions import db
from storefront.models import (
    AccountCreditEntry,
    CreditNote,
    Customer,
    Invoice,
    InvoicePurpose,
    InvoiceStatus,
    LedgerEntry,
    Order,
    OutboxMessage,
    Reseller,
    Service,
    ServiceEvent,
    Ticket,
    TicketStatus,
    TicketTier,
    utcnow,
)
from tests.leakguard import find_leaks, response_texts
from tests.shop.helpers import sign_in
from tests.staff.escalation_helpers import staff_client
from tests.steps import owner_client

SHOPS = ("acme", "bluewave", "kedai")
HOSTS = {slug: f"{slug}.localhost" for slug in SHOPS}
KL = ZoneInfo("Asia/Kuala_Lumpur")
EVERY_STATE = {"pending", "active", "suspended", "cancelled", "terminated"}


def _story_emails(slug: str) -> dict[str, str]:
    return {spec["story"]: spec["email"] for spec in load_demo_data()["history"][slug]}


def _shop(slug: str) -> Reseller:
    return db.session.scalar(select(Reseller).where(Reseller.slug == slug))


def _statuses_by_story(shop: Reseller) -> dict[str, set[str]]:
    emails = _story_emails(shop.slug)
    rows = db.session.execute(
        select(Customer.email, Service.status).join(Service).where(Service.reseller_id == shop.id)
    )
    by_email: dict[str, set[str]] = {}
    for email, status in rows:
        by_email.setdefault(email, set()).add(status.value)
    return {story: by_email.get(email, set()) for story, email in emails.items()}


def _counts() -> tuple[int, ...]:
    models = (Customer, Order, Invoice, Service, ServiceEvent, LedgerEntry, CreditNote, Ticket, OutboxMessage)
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in models)


def test_every_shop_lives_a_year_with_every_state_once(app, living_demo) -> None:
    with app.app_context():
        now = utcnow()
        for slug in SHOPS:
            shop = _shop(slug)
            customers = db.session.scalars(select(Customer).where(Customer.reseller_id == shop.id)).all()
            assert len(customers) == 12
            stories = _statuses_by_story(shop)
            assert stories["loyal"] == {"active"}
            assert stories["annual"] == {"active"}
            assert stories["two_services"] == {"active"}
            assert stories["invoice_due"] == {"active"}
            assert stories["overdue"] == {"active"}
            assert stories["suspended"] == {"suspended"}
            assert stories["reinstated"] == {"active"}
            assert stories["terminated"] == {"terminated"}
            assert stories["cancelled"] == {"cancelled"}
            assert stories["pending"] == {"pending"}
            assert stories["unpaid_order"] == stories["order_cancelled"] == set()
            assert set().union(*stories.values()) == EVERY_STATE

            # A year of orders, placed over at least eleven months.
            placed = db.session.scalars(select(Order.created_at).where(Order.reseller_id == shop.id)).all()
            assert now - min(placed) > timedelta(days=330)
            assert len({month_of(at, KL).slug for at in placed}) >= 6
            paid_months = {
                month_of(at, KL).slug
                for at in db.session.scalars(
                    select(Invoice.paid_at).where(
                        Invoice.reseller_id == shop.id, Invoice.status == InvoiceStatus.PAID
                    )
                )
            }
            assert len(paid_months) >= 12

            invoices = dict(
                db.session.execute(
                    select(Invoice.status, func.count())
                    .where(Invoice.reseller_id == shop.id)
                    .group_by(Invoice.status)
                ).all()
            )
            assert invoices[InvoiceStatus.PAID] > 50
            assert invoices[InvoiceStatus.ISSUED] >= 4  # due soon, overdue, suspended, the new order
            assert invoices[InvoiceStatus.CANCELLED] == 2  # the order never paid, the terminated renewal
            overdue_renewals = db.session.scalar(
                select(func.count()).where(
                    Invoice.reseller_id == shop.id,
                    Invoice.purpose == InvoicePurpose.RENEWAL,
                    Invoice.status == InvoiceStatus.ISSUED,
                    Invoice.period_start < now.astimezone(KL).date(),
                )
            )
            assert overdue_renewals >= 2

            # Suspended and reinstated, and warned before termination, by the run's own rules.
            events = {
                what
                for what in db.session.scalars(
                    select(ServiceEvent.what).where(ServiceEvent.reseller_id == shop.id)
                )
            }
            assert {"created", "activated", "renewed", "suspended", "unsuspended", "terminated"} <= events
            assert {"ends_at_term", "cancelled"} <= events

            # One credit note, given as account credit, part of which paid a later renewal.
            note = db.session.scalar(select(CreditNote).where(CreditNote.reseller_id == shop.id))
            assert note.total_minor > 0 and note.outcome.value == "account_credit"
            credit = db.session.scalars(
                select(AccountCreditEntry.amount_minor).where(AccountCreditEntry.reseller_id == shop.id)
            ).all()
            assert credit[0] == note.total_minor and any(amount < 0 for amount in credit)

            tickets = db.session.scalars(select(Ticket).where(Ticket.reseller_id == shop.id)).all()
            late = [t for t in tickets if t.reply_due_at is not None and t.reply_due_at < now]
            assert len(late) >= 2
            assert [t.tier for t in tickets if t.status == TicketStatus.ESCALATED] == [TicketTier.PLATFORM]
            statuses = {t.status for t in tickets}
            assert {TicketStatus.OPEN, TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.CLOSED} <= statuses
            assert any(t.reply_due_at is not None and t.reply_due_at > now for t in tickets)  # not late yet
        seeded = _counts()

        assert seed_demo(history=True) == []

        assert _counts() == seeded


def _figure(page: str, name: str) -> str:
    return unescape(re.search(rf'data-figure="{name}">([^<]*)<', page).group(1)).strip()


def _money_amount(text: str) -> float:
    return float(re.sub(r"[^0-9.]", "", text))


def test_the_consoles_statements_screen_and_accounts_show_the_years_figures(
    app, living_demo, client_for, make_staff
) -> None:
    last_month = month_of(utcnow(), KL).shifted(-1)
    for slug in SHOPS:
        owner = owner_client(client_for, HOSTS[slug])
        home = owner.get("/console/")
        assert home.status_code == 200
        bars = re.findall(r'<rect class="chart__bar[^"]*"[^>]*><title>[^:]+: ([^<]+)</title>', home.text)
        assert len(bars) == 12 and all(_money_amount(bar) > 0 for bar in bars[:-1])
        assert int(_figure(home.text, "unpaid")) >= 4
        assert int(_figure(home.text, "open-tickets")) >= 4
        assert int(_figure(home.text, "answers-late")) >= 2

        statement = owner.get(f"/console/statement?month={last_month.slug}")
        total = re.search(r"Total for [^<]+</th><td class=\"amount\"><strong>([^<]+)<", statement.text)
        assert total and _money_amount(unescape(total.group(1))) > 0

        with app.app_context():
            number = db.session.scalar(
                select(Customer.number).where(
                    Customer.reseller_id == _shop(slug).id,
                    Customer.email == _story_emails(slug)["suspended"],
                )
            )
        customer_page = owner.get(f"/console/customers/{number}")
        assert customer_page.status_code == 200 and 'badge--suspended">suspended<' in customer_page.text

        account = client_for(HOSTS[slug])
        sign_in(account, _story_emails(slug)["loyal"])
        services = account.get("/account/services")
        invoices = account.get("/account/invoices")
        assert 'status--active">Active</span>' in services.text and "Next due on" in services.text
        assert "CN-000001" in invoices.text and invoices.text.count("INV-") > 12
        for page in (home, statement, customer_page, services, invoices, account.get("/account")):
            assert find_leaks(app.config, *response_texts(page)) == []

    desk = staff_client(client_for, make_staff)
    screen = unescape(desk.get("/staff/escalations").text)
    for subject in ("My website is down", "Reminder emails", "Renewal price higher than I expected"):
        assert screen.count(subject) == 3  # one at each shop
