"""Issuing renewal invoices ahead of the due date, in batches: exactly one per service and period.

A batch locks its services (skipping those another run holds, on PostgreSQL), claims each period with a
conditional UPDATE of ``Service.invoiced_through`` (so a run that read before another committed claims
nothing twice; the unique index on (service, period) is the last guard), then inserts the invoices, their
lines, the history of any price or cycle change that took effect, and the emails, each in one statement.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from blinker import Namespace
from sqlalchemy import ColumnElement, Select, and_, insert, or_, select, update

from ..commerce.invoices import invoice_label
from ..domain_names import display_domain
from ..extensions import db
from ..models import (
    BillingCycle,
    Customer,
    Invoice,
    InvoiceLine,
    InvoicePurpose,
    InvoiceStatus,
    Plan,
    Reseller,
    Service,
)
from ..money import format_money
from .due_dates import last_day_of, months_after
from .life import RUNNING, SYSTEM, record_events
from .notices import ISSUED, Mailer, claim_invoice_notices, day_text

_signals = Namespace()

renewal_invoices_issued = _signals.signal("renewal-invoices-issued")
"""Sent with the shop, the ids of renewal invoices just issued and the run's time ``now``, in the issuing
transaction, before their emails are written: the one place a newly issued invoice is handed on (for
example to apply the customer's account credit to it); whoever listens works in the same transaction."""


def due_for_renewal(shop: Reseller, as_of: date) -> ColumnElement[bool]:
    """Running services of ``shop`` that renew and fall due within the shop's notice, not yet invoiced
    for the period starting on their due date."""
    return and_(
        Service.reseller_id == shop.id,
        Service.status.in_(RUNNING),
        Service.auto_renew.is_(True),
        Service.ends_at_term.is_(False),
        Service.next_due_on <= as_of + timedelta(days=shop.renewal_days_before),
        or_(Service.invoiced_through.is_(None), Service.invoiced_through < Service.next_due_on),
    )


def renewal_candidates(shop: Reseller, as_of: date) -> Select:
    """The services a run would invoice now (for counting, or a batch with a limit)."""
    return select(Service.id).where(due_for_renewal(shop, as_of))


def issue_renewal_invoices(
    shop: Reseller, as_of: date, now: datetime, limit: int, mailer: Mailer
) -> tuple[int, int]:
    """Issue the renewal invoices of up to ``limit`` services due; return (found, issued)."""
    due = due_for_renewal(shop, as_of)
    found = db.session.execute(
        select(
            Service.id,
            Service.customer_id,
            Service.cycle,
            Service.next_cycle,
            Service.domain,
            Service.next_due_on,
            Service.anchor_day,
            Service.recurring_minor,
            Service.currency,
            Service.new_recurring_minor,
            Service.new_price_from,
            Customer.name,
            Customer.email,
            Plan.name,
        )
        .join(Customer, Customer.id == Service.customer_id)
        .join(Plan, Plan.id == Service.plan_id)
        .where(due)
        .order_by(Service.id)
        .limit(limit)
        .with_for_update(of=Service, skip_locked=True, key_share=True)
    ).all()
    if not found:
        return 0, 0
    claimed = set(
        db.session.scalars(
            update(Service)
            .where(Service.id.in_([row[0] for row in found]), due)
            .values(invoiced_through=Service.next_due_on)
            .returning(Service.id),
            execution_options={"synchronize_session": False},
        )
    )
    periods = [_Period(shop, row, now) for row in found if row[0] in claimed]
    if not periods:
        return len(found), 0
    _insert_invoices(shop, periods, now)
    # The day each was issued, in the shop's calendar: no suspension comes sooner than its notice allows.
    claim_invoice_notices(shop.id, [period.invoice_id for period in periods], ISSUED, now, as_of)
    _apply_changes(shop, periods, now)
    renewal_invoices_issued.send(shop, invoice_ids=[period.invoice_id for period in periods], now=now)
    due = dict(
        db.session.execute(
            select(Invoice.id, Invoice.total_minor - Invoice.credit_applied_minor).where(
                Invoice.id.in_([period.invoice_id for period in periods]),
                Invoice.status == InvoiceStatus.ISSUED,
            )
        ).all()
    )
    for period in periods:
        period.write_email(mailer, due.get(period.invoice_id, 0))
    return len(found), len(periods)


class _Period:
    """One service's next period as its renewal invoice bills it."""

    def __init__(self, shop: Reseller, row: tuple, now: datetime) -> None:
        (
            self.service_id,
            self.customer_id,
            cycle,
            next_cycle,
            self.domain,
            self.start,
            anchor_day,
            recurring,
            currency,
            new_price,
            new_price_from,
            self.customer_name,
            self.customer_email,
            self.plan_name,
        ) = row
        self.cycle: BillingCycle = next_cycle or cycle
        self.cycle_changed = next_cycle is not None
        self.end = months_after(self.start, self.cycle.months, anchor_day or self.start.day)
        self.price_changed = new_price_from is not None and new_price_from <= self.start
        self.amount = new_price if self.price_changed else recurring
        self.currency = currency or shop.currency
        self.invoice_id: int | None = None
        self.number: int | None = None

    def description(self) -> str:
        return (
            f"{self.plan_name} hosting for {display_domain(self.domain)}, "
            f"{day_text(self.start)} to {day_text(last_day_of(self.end))}"
        )

    def write_email(self, mailer: Mailer, due_minor: int) -> None:
        """The invoice's email; ``due_minor`` is what account credit left to pay (0: paid by it)."""
        mailer.add(
            self.customer_email,
            "renewal_invoice",
            self.customer_id,
            customer_name=self.customer_name,
            invoice_label=invoice_label(self.number),
            amount_minor=self.amount,
            due_minor=due_minor,
            currency=self.currency,
            description=self.description(),
            domain=display_domain(self.domain),
            due_on=day_text(self.start),
            invoice_url=mailer.invoice_url(self.number),
        )


def _insert_invoices(shop: Reseller, periods: list[_Period], now: datetime) -> None:
    """Insert the invoices (numbered in one block per shop) and their lines."""
    issued = db.session.execute(
        insert(Invoice).returning(Invoice.service_id, Invoice.id, Invoice.number),
        [
            {
                "reseller_id": shop.id,
                "purpose": InvoicePurpose.RENEWAL,
                "service_id": period.service_id,
                "period_start": period.start,
                "period_end": period.end,
                "customer_id": period.customer_id,
                "status": InvoiceStatus.ISSUED,
                "currency": period.currency,
                "total_minor": period.amount,
                "seller_name": shop.legal_name,
                "seller_address": shop.postal_address,
                "buyer_name": period.customer_name,
                "buyer_email": period.customer_email,
                "issued_at": now,
            }
            for period in periods
        ],
    ).all()
    by_service = {service_id: (invoice_id, number) for service_id, invoice_id, number in issued}
    for period in periods:
        period.invoice_id, period.number = by_service[period.service_id]
    db.session.execute(
        insert(InvoiceLine),
        [
            {
                "reseller_id": shop.id,
                "invoice_id": period.invoice_id,
                "position": 1,
                "description": period.description(),
                "amount_minor": period.amount,
            }
            for period in periods
        ],
    )


def _apply_changes(shop: Reseller, periods: list[_Period], now: datetime) -> None:
    """A scheduled price or cycle change takes effect with the first period it applies to."""
    repriced = [period for period in periods if period.price_changed]
    recycled = [period for period in periods if period.cycle_changed]
    if repriced:
        db.session.execute(
            update(Service)
            .where(Service.id.in_([period.service_id for period in repriced]))
            .values(
                recurring_minor=Service.new_recurring_minor, new_recurring_minor=None, new_price_from=None
            ),
            execution_options={"synchronize_session": False},
        )
    if recycled:
        db.session.execute(
            update(Service)
            .where(Service.id.in_([period.service_id for period in recycled]))
            .values(cycle=Service.next_cycle, next_cycle=None),
            execution_options={"synchronize_session": False},
        )
    changes = [
        (period, "price_changed", f"renews at {format_money(period.amount, period.currency)}")
        for period in repriced
    ] + [(period, "cycle_changed", f"billed {period.cycle.label.lower()}") for period in recycled]
    record_events(
        {
            "reseller_id": shop.id,
            "service_id": period.service_id,
            "at": now,
            "actor": SYSTEM,
            "what": what,
            "reason": f"{reason} from {day_text(period.start)}",
            "invoice_id": period.invoice_id,
        }
        for period, what, reason in changes
    )
