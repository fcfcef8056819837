"""The billing run's steps after issuing: reminders, suspension, the termination warning, termination,
and ending services at term, each in batches.

A change of status is claimed by a conditional UPDATE (after ``FOR UPDATE SKIP LOCKED`` on PostgreSQL)
whose condition includes the due date a payment moves, so a payment committed meanwhile wins; an email
that changes nothing (a reminder, the warning) is claimed by inserting its ``BillingNotice``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from ..commerce.invoices import invoice_label
from ..domain_names import display_domain
from ..extensions import db
from ..models import (
    BillingNotice,
    Customer,
    Invoice,
    InvoicePurpose,
    InvoiceStatus,
    Reseller,
    Service,
    ServiceStatus,
    SuspensionReason,
)
from .due_dates import start_of_day
from .life import RUNNING, SYSTEM, record_events
from .notices import ISSUED, Mailer, claim_invoice_notices, claim_service_notices, day_text, reminder_trigger
from .open_invoices import cancel_open_invoices

# The renewal invoice of the period that starts on the service's due date, still unpaid.
OPEN_RENEWAL = and_(
    Invoice.service_id == Service.id,
    Invoice.purpose == InvoicePurpose.RENEWAL,
    Invoice.period_start == Service.next_due_on,
    Invoice.status == InvoiceStatus.ISSUED,
)

_ROW = (
    Service.id,
    Service.customer_id,
    Service.domain,
    Service.next_due_on,
    Service.status,
    Customer.name,
    Customer.email,
)
# What is still to pay: the total less any account credit applied to it.
_INVOICE = (Invoice.id, Invoice.number, Invoice.total_minor - Invoice.credit_applied_minor, Invoice.currency)


@dataclass(frozen=True)
class Overdue:
    """A service and, where it has one, its unpaid renewal invoice, as a step found it."""

    service_id: int
    customer_id: int
    domain: str
    due_on: date
    status: ServiceStatus
    customer_name: str
    customer_email: str
    invoice_id: int | None = None
    invoice_number: int | None = None
    amount_minor: int | None = None
    currency: str | None = None

    def context(self, mailer: Mailer) -> dict[str, object]:
        """What every billing email about this service says."""
        context: dict[str, object] = {
            "customer_name": self.customer_name,
            "domain": display_domain(self.domain),
            "due_on": day_text(self.due_on),
            "services_url": mailer.url("/account/services"),
        }
        if self.invoice_number is not None:
            context |= {
                "invoice_label": invoice_label(self.invoice_number),
                "amount_minor": self.amount_minor,
                "currency": self.currency,
                "invoice_url": mailer.invoice_url(self.invoice_number),
            }
        return context


def _open_renewal_of_service(invoice) -> ColumnElement[bool]:
    return and_(
        invoice.service_id == Service.id,
        invoice.purpose == InvoicePurpose.RENEWAL,
        invoice.period_start == Service.next_due_on,
        invoice.status == InvoiceStatus.ISSUED,
    )


def _days_overdue(shop: Reseller, as_of: date, days: int) -> ColumnElement[bool]:
    return and_(Service.reseller_id == shop.id, Service.next_due_on <= as_of - timedelta(days=days))


def _not_noticed(trigger: str) -> ColumnElement[bool]:
    return ~exists().where(BillingNotice.invoice_id == Invoice.id, BillingNotice.trigger == trigger)


# What each step looks for; ``candidates`` (for counting and batches) and the claims share them.


def ending_at_term(shop: Reseller, as_of: date) -> ColumnElement[bool]:
    """Running services that do not renew and reached their due date."""
    return and_(
        Service.reseller_id == shop.id,
        Service.status.in_(RUNNING),
        or_(Service.auto_renew.is_(False), Service.ends_at_term.is_(True)),
        Service.next_due_on <= as_of,
    )


def to_terminate(shop: Reseller, as_of: date) -> ColumnElement[bool]:
    """Running services whose renewal is unpaid ``terminate_after_days`` after due, warned at least
    ``termination_warning_days`` before: a run after a long pause warns first and terminates later."""
    invoice = aliased(Invoice)  # the service's own open renewal, so the claim's UPDATE can test it too
    warned = exists().where(
        _open_renewal_of_service(invoice),
        BillingNotice.invoice_id == invoice.id,
        BillingNotice.trigger == "termination_warning",
        BillingNotice.on_date <= as_of - timedelta(days=shop.termination_warning_days),
    )
    return and_(Service.status.in_(RUNNING), _days_overdue(shop, as_of, shop.terminate_after_days), warned)


def to_warn(shop: Reseller, as_of: date) -> ColumnElement[bool]:
    """Running services within the warning days of termination, not yet warned for this invoice."""
    days = shop.terminate_after_days - shop.termination_warning_days
    return and_(
        Service.status.in_(RUNNING), _days_overdue(shop, as_of, days), _not_noticed("termination_warning")
    )


def to_suspend(shop: Reseller, as_of: date) -> ColumnElement[bool]:
    """Active services whose renewal is unpaid ``suspend_after_days`` after due, invoiced at least as many
    days before: a customer always has that long to pay, even after a pause in the runs."""
    invoice = aliased(Invoice)  # the service's own open renewal, so the claim's UPDATE can test it too
    invoiced_in_time = exists().where(
        _open_renewal_of_service(invoice),
        BillingNotice.invoice_id == invoice.id,
        BillingNotice.trigger == ISSUED,
        BillingNotice.on_date <= as_of - timedelta(days=shop.suspend_after_days),
    )
    return and_(
        Service.status == ServiceStatus.ACTIVE,
        _days_overdue(shop, as_of, shop.suspend_after_days),
        invoiced_in_time,
    )


def to_remind(shop: Reseller, as_of: date, offset: int, later: int | None) -> ColumnElement[bool]:
    """Unpaid renewal invoices whose latest reminder reached is ``offset`` days from due, not yet sent.

    Only the latest reminder reached is sent, so a run after a pause never sends a burst of old ones;
    a reminder before the due date waits for a day after the invoice's own email. A service that will
    not renew gets none: its invoice is cancelled with the service at the end of the term.
    """
    condition = and_(
        Service.reseller_id == shop.id,
        Service.status.in_(RUNNING),
        Service.auto_renew.is_(True),
        Service.ends_at_term.is_(False),
        Invoice.period_start <= as_of - timedelta(days=offset),
        _not_noticed(reminder_trigger(offset)),
    )
    if later is not None:
        condition &= Invoice.period_start > as_of - timedelta(days=later)
    if offset < 0:
        condition &= Invoice.issued_at < start_of_day(as_of, shop.timezone)
    return condition


def overdue_candidates(condition: ColumnElement[bool]) -> Select:
    """Services matching ``condition`` that have their open renewal invoice."""
    return select(Service.id).join(Invoice, OPEN_RENEWAL).where(condition)


def term_candidates(condition: ColumnElement[bool]) -> Select:
    """Services matching ``condition``, invoice or not."""
    return select(Service.id).where(condition)


def _found(condition: ColumnElement[bool], limit: int, *, with_invoice: bool, lock: bool) -> list[Overdue]:
    query = select(*_ROW, *(_INVOICE if with_invoice else ())).join(
        Customer, Customer.id == Service.customer_id
    )
    if with_invoice:
        query = query.join(Invoice, OPEN_RENEWAL)
    query = query.where(condition).order_by(Service.id).limit(limit)
    if lock:
        query = query.with_for_update(of=Service, skip_locked=True, key_share=True)
    return [Overdue(*row) for row in db.session.execute(query)]


def _claim_status(ids: list[int], condition: ColumnElement[bool], **values: object) -> set[int]:
    if not ids:
        return set()
    return set(
        db.session.scalars(
            update(Service).where(Service.id.in_(ids), condition).values(**values).returning(Service.id),
            execution_options={"synchronize_session": False},
        )
    )


def _history(
    shop: Reseller, rows: list[Overdue], what: str, to: ServiceStatus, reason: str, now: datetime
) -> None:
    record_events(
        {
            "reseller_id": shop.id,
            "service_id": row.service_id,
            "at": now,
            "actor": SYSTEM,
            "what": what,
            "from_status": row.status,
            "to_status": to,
            "reason": reason,
            "invoice_id": row.invoice_id,
        }
        for row in rows
    )


def end_at_term(shop: Reseller, as_of: date, now: datetime, limit: int, mailer: Mailer) -> tuple[int, int]:
    """Cancel services that do not renew on their due date; return (found, cancelled)."""
    condition = ending_at_term(shop, as_of)
    found = _found(condition, limit, with_invoice=False, lock=True)
    claimed = _claim_status(
        [row.service_id for row in found], condition, status=ServiceStatus.CANCELLED, suspension_reason=None
    )
    done = [row for row in found if row.service_id in claimed]
    _history(shop, done, "cancelled", ServiceStatus.CANCELLED, "ended at the end of its term", now)
    cancel_open_invoices(
        [row.service_id for row in done], "the service ended at the end of its term", SYSTEM, now=now
    )
    noticed = claim_service_notices(shop.id, [(row.service_id, row.due_on) for row in done], "ended", now)
    for row in done:
        if row.service_id in noticed:
            mailer.add(
                row.customer_email,
                "service_ended",
                row.customer_id,
                **row.context(mailer),
                ended_on=day_text(row.due_on),
            )
    return len(found), len(done)


def _move_overdue(
    shop: Reseller,
    condition: ColumnElement[bool],
    limit: int,
    now: datetime,
    to: ServiceStatus,
    reason: str,
    **values: object,
) -> tuple[list[Overdue], list[Overdue]]:
    """Claim up to ``limit`` overdue services still matching ``condition`` and move them to ``to`` with
    their history; return (found, moved)."""
    found = _found(condition, limit, with_invoice=True, lock=True)
    claimed = _claim_status([row.service_id for row in found], condition, status=to, **values)
    done = [row for row in found if row.service_id in claimed]
    _history(shop, done, to.value, to, reason, now)
    return found, done


def terminate_overdue(
    shop: Reseller, as_of: date, now: datetime, limit: int, mailer: Mailer
) -> tuple[int, int]:
    """Terminate services unpaid ``terminate_after_days`` after due; return (found, terminated)."""
    reason = f"renewal unpaid {shop.terminate_after_days} days after due"
    found, done = _move_overdue(
        shop,
        to_terminate(shop, as_of),
        limit,
        now,
        ServiceStatus.TERMINATED,
        reason,
        suspension_reason=None,
        terminated_at=now,
    )
    cancel_open_invoices([row.service_id for row in done], "the service was terminated", SYSTEM, now=now)
    _email_claimed(shop, done, "terminated", "service_terminated", now, mailer, as_of=as_of)
    return len(found), len(done)


def suspend_overdue(
    shop: Reseller, as_of: date, now: datetime, limit: int, mailer: Mailer
) -> tuple[int, int]:
    """Suspend services unpaid ``suspend_after_days`` after due; return (found, suspended)."""
    reason = f"renewal unpaid {shop.suspend_after_days} days after due"
    found, done = _move_overdue(
        shop,
        to_suspend(shop, as_of),
        limit,
        now,
        ServiceStatus.SUSPENDED,
        reason,
        suspension_reason=SuspensionReason.OVERDUE,
    )
    _email_claimed(shop, done, "suspended", "service_suspended", now, mailer, as_of=as_of, overdue=True)
    return len(found), len(done)


def warn_of_termination(
    shop: Reseller, as_of: date, now: datetime, limit: int, mailer: Mailer
) -> tuple[int, int]:
    """Warn customers whose service is terminated in ``termination_warning_days``; return (found, warned)."""
    found = _found(to_warn(shop, as_of), limit, with_invoice=True, lock=False)
    earliest = as_of + timedelta(days=shop.termination_warning_days)
    terminate_on = {
        row.service_id: max(row.due_on + timedelta(days=shop.terminate_after_days), earliest) for row in found
    }
    sent = _email_claimed(
        shop,
        found,
        "termination_warning",
        "termination_warning",
        now,
        mailer,
        terminate_on=terminate_on,
        as_of=as_of,
    )
    return len(found), sent


def remind(shop: Reseller, as_of: date, now: datetime, limit: int, mailer: Mailer) -> tuple[int, int]:
    """Send each unpaid renewal invoice's reminder due today, once; return (found, sent)."""
    offsets = sorted(shop.reminder_days)
    found_total = sent_total = 0
    for offset, later in zip(offsets, [*offsets[1:], None], strict=True):
        found = _found(to_remind(shop, as_of, offset, later), limit, with_invoice=True, lock=False)
        sent = _email_claimed(
            shop, found, reminder_trigger(offset), "renewal_reminder", now, mailer, as_of=as_of, offset=offset
        )
        found_total, sent_total = max(found_total, len(found)), sent_total + sent
    return found_total, sent_total


def _email_claimed(
    shop: Reseller,
    rows: list[Overdue],
    trigger: str,
    template: str,
    now: datetime,
    mailer: Mailer,
    terminate_on: dict[int, date] | None = None,
    *,
    as_of: date,
    **context: object,
) -> int:
    """Claim ``trigger`` for each row's invoice and write the emails of those claimed; return how many."""
    claimed = claim_invoice_notices(shop.id, [row.invoice_id for row in rows], trigger, now, as_of)
    for row in rows:
        if row.invoice_id in claimed:
            extra = {"terminate_on": day_text(terminate_on[row.service_id])} if terminate_on else {}
            mailer.add(
                row.customer_email, template, row.customer_id, **row.context(mailer), **extra, **context
            )
    return len(claimed)
