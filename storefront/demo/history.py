"""The living demo: a year of each demo shop's business, lived through the product's own verbs.

Each shop's twelve history customers (``data.json``, "history"; the shop's demo customer is one of
them) sign up, order through checkout, pay by the sandbox card or by a bank transfer the payments desk
confirms, and are set up by staff, at dates in the past. The billing run then runs for every day of
the year at the shop's midnight (``run_billing(as_of=..., now=...)``), so renewal invoices, reminders,
suspensions, terminations, ends of term and cancelled orders all happen by the shop's own schedule.
The owner issues one credit note; tickets are opened, answered, escalated and left late, relative to
the moment of seeding. Every verb is given the time it happens (``now``), so no clock is moved.

A shop whose history customers exist already is left alone, so seeding twice adds nothing.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..billing.due_dates import local_date, months_after, start_of_day
from ..billing.life import end_at_term
from ..billing.run import run_billing
from ..catalog.offers import list_offers
from ..commerce.cart import price_cart
from ..commerce.checkout_keys import mint_checkout_key
from ..commerce.credit_notes import CreditRequest, issue_credit_note
from ..commerce.orders import DomainRequest, invoice_of, place_order, registration_tlds
from ..commerce.payments import mark_bank_transfer_paid
from ..commerce.sandbox_gateway import SUCCEEDING_CARD, charge, handle_callback
from ..domain_names import registrable_tld
from ..extensions import db
from ..fulfilment.provisioning import activate
from ..identity.customers import notice_acceptance
from ..models import (
    BillingCycle,
    Customer,
    DomainChoice,
    Invoice,
    InvoicePurpose,
    InvoiceStatus,
    LineKind,
    Order,
    OrderLine,
    Reseller,
    Service,
    TeamMember,
    TeamRole,
    utcnow,
)
from ..models.account import hash_password
from .stories import STORIES, TRANSFER, Story
from .tickets import open_demo_tickets

BILLING_RUN_AT = timedelta(minutes=7)  # the worker's hourly step, just after the shop's midnight
# The run goes daily over the last six weeks and a half, weekly before: a run does whatever earlier days left
# due, so older renewals are only issued a few days later than the schedule's day, and seeding is fast.
DAILY_RUNS_FOR = 46
LATE_BY = 14  # a late payer pays two weeks after the due date: suspended at 7 days, then reinstated


@dataclass
class Person:
    """A history customer at one shop, with their story and what they bought."""

    customer: Customer
    story_key: str
    story: Story
    domain: str
    services: list[int] = field(default_factory=list)


@dataclass(order=True)
class Action:
    """Something a person (or the shop, or staff) does at a moment of the year."""

    at: datetime
    order: int
    do: Callable[[datetime], None] = field(compare=False)


def seed_history(shop_specs: dict[str, list[dict]], password: str, staff: str, created: list[str]) -> None:
    """Give each demo shop without its history customers a year of business, up to now."""
    now = utcnow().replace(microsecond=0)
    for slug, specs in shop_specs.items():
        shop = db.session.scalar(select(Reseller).where(Reseller.slug == slug))
        if shop is None or _lived(shop, specs):
            continue
        _Year(shop, specs, password, staff, now).live()
        created.append(f"a year of history at {slug}")


def _lived(shop: Reseller, specs: list[dict]) -> bool:
    new_emails = [spec["email"] for spec in specs if "name" in spec]
    found = db.session.scalar(
        select(Customer.id).where(Customer.reseller_id == shop.id, Customer.email.in_(new_emails)).limit(1)
    )
    return found is not None


class _Year:
    """One shop's year, walked a day at a time."""

    def __init__(self, shop: Reseller, specs: list[dict], password: str, staff: str, now: datetime) -> None:
        self.shop, self.now, self.staff = shop, now, f"staff:{staff}"
        self.zone = ZoneInfo(shop.timezone)
        self.today = local_date(now, shop.timezone)
        self.random = random.Random(hashlib.sha256(shop.slug.encode()).hexdigest())
        self.owner = db.session.scalar(
            select(TeamMember).where(TeamMember.reseller_id == shop.id, TeamMember.role == TeamRole.OWNER)
        )
        password_hash = hash_password(password)  # one scrypt for the shop: every demo password is the same
        self.people = [self._person(spec, password_hash) for spec in specs]
        self.by_customer = {person.customer.id: person for person in self.people}
        self.actions: list[Action] = []

    # -- the people -------------------------------------------------------------------------------

    def _person(self, spec: dict, password_hash: str) -> Person:
        story = STORIES[spec["story"]]
        customer = db.session.scalar(
            select(Customer).where(Customer.reseller_id == self.shop.id, Customer.email == spec["email"])
        )
        if customer is None:
            joined = self._at(self._bought_on(story), 9) - timedelta(days=self.random.randint(1, 20))
            customer = Customer(
                reseller_id=self.shop.id,
                name=spec["name"],
                email=spec["email"],
                email_verified_at=joined + timedelta(minutes=4),
                created_at=joined,
                privacy_notice_version=self.shop.privacy_notice_version,
            )
            customer.password_hash = password_hash
            db.session.add(customer)
            db.session.flush()
            acceptance = notice_acceptance(self.shop, customer, self.shop.privacy_notice_version)
            acceptance.created_at = joined
            db.session.add(acceptance)
        return Person(customer, spec["story"], story, spec["domain"])

    def _bought_on(self, story: Story) -> date:
        """The day the story's first service was paid for: ``periods`` cycles before its due date, on a
        day of the month every month has, so each due date falls where the story needs it."""
        due = self.today + timedelta(days=story.due)
        due -= timedelta(days=max(0, due.day - 28))
        return months_after(due, -story.periods * story.cycle.months, due.day)

    def _at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """The UTC moment of a time of day in the shop's calendar, never later than now."""
        moment = datetime.combine(day, time(hour, minute), tzinfo=self.zone).astimezone(UTC)
        return min(moment, self.now - timedelta(minutes=1))

    # -- the year ---------------------------------------------------------------------------------

    def live(self) -> None:
        """Plan everyone's purchases and requests, then walk the days: the billing run first, then
        whatever anyone does that day, then the renewals people pay."""
        for person in self.people:
            self._plan(person)
        self.actions.sort()
        db.session.commit()
        first = min(local_date(action.at, self.shop.timezone) for action in self.actions)
        pending = list(self.actions)
        day = first
        while day <= self.today:
            if (self.today - day).days <= DAILY_RUNS_FOR or (day - first).days % 7 == 0:
                run_billing(
                    day,
                    shop_slug=self.shop.slug,
                    now=min(start_of_day(day, self.shop.timezone) + BILLING_RUN_AT, self.now),
                )
            while pending and local_date(pending[0].at, self.shop.timezone) <= day:
                action = pending.pop(0)
                action.do(action.at)
                db.session.commit()
            self._pay_renewals(day)
            day += timedelta(days=1)
        open_demo_tickets(self.shop, self.owner, self.people, self.now, self.random)
        db.session.commit()

    def _plan(self, person: Person) -> None:
        story = person.story
        bought = self._bought_on(story)
        minute = self.random.randint(0, 50)
        ordered = self._at(bought - timedelta(days=1 if story.pays_with == TRANSFER else 0), 10, minute)
        self._add(ordered, lambda at: self._order(person, story.offer, story.cycle, person.domain, at))
        if story.second_offer is not None:
            later = self._at(months_after(bought, 1, bought.day) + timedelta(days=3), 14, minute)
            self._add(
                later,
                lambda at: self._order(person, story.second_offer, story.cycle, f"shop.{person.domain}", at),
            )
        if story.ends_at_term_on is not None:
            asked = self._at(self.today + timedelta(days=story.ends_at_term_on), 16, minute)
            self._add(asked, lambda at: self._end_at_term(person, at))
        if story.credit_note:
            self._add(
                self._at(self.today - timedelta(days=42), 11, minute), lambda at: self._credit(person, at)
            )

    def _add(self, at: datetime, do: Callable[[datetime], None]) -> None:
        self.actions.append(Action(at, len(self.actions), do))

    # -- what people do ---------------------------------------------------------------------------

    def _order(self, person: Person, offer: int, cycle: BillingCycle, domain: str, at: datetime) -> None:
        """Check out one plan for a domain at ``at``; pay it as the story says; staff set it up."""
        sold = list_offers(self.shop)
        chosen = sold[offer % len(sold)]
        period = (
            cycle if chosen.price_for(cycle) is not None else next(price.cycle for price in chosen.prices)
        )
        item = {"id": f"{len(person.services):08x}", "plan": chosen.plan.code, "cycle": period.value}
        cart = price_cart(self.shop, [item])
        tlds = {tld for tld, _ in registration_tlds(self.shop)}
        choice = DomainChoice.EXISTING
        if _sold_tld(domain, tlds):
            choice = DomainChoice.REGISTER
        key = mint_checkout_key(self.shop, person.customer, cart)
        order = place_order(
            self.shop, person.customer, cart, {item["id"]: DomainRequest(choice, domain)}, key, now=at
        )
        if not person.story.order_paid:
            return
        invoice = invoice_of(order)
        paid_at = (
            at + timedelta(minutes=3)
            if person.story.pays_with != TRANSFER
            else self._at(local_date(at, self.shop.timezone) + timedelta(days=1), 11, 20)
        )
        self._pay(person, invoice, paid_at)
        if person.story.activated:
            self._activate(person, order, paid_at + timedelta(hours=2))

    def _pay(self, person: Person, invoice: Invoice, at: datetime) -> None:
        if person.story.pays_with == TRANSFER:
            reference = f"{self.shop.slug.upper()}-{invoice.number:06d}-{person.customer.number}"
            mark_bank_transfer_paid(invoice, reference, self.staff, now=at)
            return
        moment = at.timestamp()
        body, signature = charge(invoice, SUCCEEDING_CARD, now=moment)
        handle_callback(self.shop.id, body, signature, now=moment)

    def _activate(self, person: Person, order: Order, at: datetime) -> None:
        service_ids = db.session.scalars(
            select(Service.id)
            .join(OrderLine, OrderLine.id == Service.order_line_id)
            .where(OrderLine.order_id == order.id, OrderLine.kind == LineKind.HOSTING)
        ).all()
        for service_id in service_ids:
            person.services.append(service_id)
            username = _username(person.customer.name, person.customer.number, len(person.services))
            activate(service_id, f"web{1 + person.customer.number % 4}", username, actor=self.staff, now=at)

    def _end_at_term(self, person: Person, at: datetime) -> None:
        service = db.session.get(Service, person.services[0])
        end_at_term(
            self.shop,
            service,
            f"customer:{person.customer.id}",
            "Moving the site to our company's own server.",
            now=at,
        )

    def _credit(self, person: Person, at: datetime) -> None:
        """The owner credits part of the customer's latest paid renewal for an outage, as account credit."""
        invoice = db.session.scalar(
            select(Invoice)
            .where(
                Invoice.service_id == person.services[0],
                Invoice.purpose == InvoicePurpose.RENEWAL,
                Invoice.status == InvoiceStatus.PAID,
            )
            .order_by(Invoice.period_start.desc())
            .limit(1)
        )
        amount = invoice.lines[0].amount_minor // 4
        request = CreditRequest(
            amounts={1: amount},
            reason="Your site was unavailable for most of a day during our server move: a quarter of "
            "the month back, with our apologies.",
            outcome="account_credit",
            idempotency_key=f"demo-history-credit-{self.shop.slug}",
        )
        issue_credit_note(self.shop, invoice, request, f"team:{self.owner.id}", now=at)

    def _pay_renewals(self, day: date) -> None:
        """Pay the renewal invoices people pay on ``day``: ahead of the due date, late, or not at all."""
        rows = db.session.execute(
            select(Invoice, Service.customer_id)
            .join(Service, Service.id == Invoice.service_id)
            .where(
                Invoice.reseller_id == self.shop.id,
                Invoice.purpose == InvoicePurpose.RENEWAL,
                Invoice.status == InvoiceStatus.ISSUED,
            )
            .order_by(Invoice.id)
        ).all()
        for invoice, customer_id in rows:
            person = self.by_customer.get(customer_id)
            pays_on = _pays_on(person.story, invoice.period_start, self.today) if person else None
            if pays_on is not None and pays_on <= day:
                self._pay(person, invoice, self._at(day, 12, self.random.randint(0, 59)))
                db.session.commit()


def _pays_on(story: Story, due: date, today: date) -> date | None:
    """The day a person pays the renewal due on ``due``, or None if they never do."""
    relative = (due - today).days
    if story.stops_paying_at is not None and relative >= story.stops_paying_at:
        return None
    if story.pays_late_at is not None and abs(relative - story.pays_late_at) < 15:
        return due + timedelta(days=LATE_BY)
    return due - timedelta(days=story.pays_days_before)


def _sold_tld(domain: str, tlds: set[str]) -> bool:
    try:
        registrable_tld(domain, tlds)
    except ValueError:
        return False
    return True


def _username(name: str, number: int, nth: int) -> str:
    letters = "".join(ch for ch in name.split()[0].lower() if "a" <= ch <= "z") or "site"
    return f"{letters[:12]}{number}{nth}"
