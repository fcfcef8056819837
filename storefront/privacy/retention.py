"""Retention: how long a shop keeps closed accounts and closed tickets, and the purge past it.

The purge runs outside requests (``storefront privacy purge``). It takes one shop at a
time with the session bound to that shop, so every tenant query is scoped to it and a
write to another shop's row is refused, and works in batches with a commit after each,
so a large purge never holds one long transaction. What it changes is in
``anonymisation.py``. Received mail that no ticket holds belongs to no shop's
customer the purge can follow; it is reduced once the platform's own period has passed.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select

from ..extensions import db
from ..models import (
    Customer,
    InboundEmail,
    PasswordResetRequest,
    Reseller,
    Ticket,
    TicketStatus,
    bind_tenant,
    current_tenant,
    utcnow,
)
from .anonymisation import (
    anonymise_accounts,
    anonymise_tickets,
    received_not_reduced,
    reduce_late_emails,
    reduce_received_emails,
)
from .purge_report import PurgeReport

BATCH_SIZE = 500
UNATTRIBUTED_MAIL = "unattributed mail"
MONTHS_MIN, MONTHS_MAX = 1, 120
# The delivery step answers a reset request within minutes; one waiting a day is dropped with its address.
RESET_REQUEST_KEPT = timedelta(days=1)


def months_before(moment: datetime, months: int) -> datetime:
    """Return ``moment`` moved back ``months`` calendar months (a missing day becomes the month's last)."""
    year, month_index = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month_index + 1)[1])
    return moment.replace(year=year, month=month_index + 1, day=day)


def accounts_due(shop: Reseller, now: datetime) -> ColumnElement[bool]:
    """Closed accounts of ``shop`` kept past its retention and not yet anonymised."""
    return and_(
        Customer.reseller_id == shop.id,
        Customer.anonymised_at.is_(None),
        Customer.closed_at <= months_before(now, shop.retain_closed_accounts_months),
    )


def tickets_due(shop: Reseller, now: datetime) -> ColumnElement[bool]:
    """Closed tickets of ``shop`` kept past its retention and not yet anonymised; open ones never are."""
    return and_(
        Ticket.reseller_id == shop.id,
        Ticket.anonymised_at.is_(None),
        Ticket.status == TicketStatus.CLOSED,
        Ticket.closed_at <= months_before(now, shop.retain_closed_tickets_months),
    )


@dataclass(frozen=True)
class RetentionPreview:
    """How many accounts and tickets of a shop are past retention now."""

    accounts: int
    tickets: int


def preview(shop: Reseller, now: datetime) -> RetentionPreview:
    """Count what the next purge would anonymise in ``shop``, in two queries and without changing it."""
    accounts = db.session.scalar(select(func.count(Customer.id)).where(accounts_due(shop, now)))
    of_due_accounts = Ticket.customer_id.in_(select(Customer.id).where(accounts_due(shop, now)))
    tickets = db.session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.reseller_id == shop.id,
            Ticket.anonymised_at.is_(None),
            or_(tickets_due(shop, now), of_due_accounts),
        )
    )
    return RetentionPreview(accounts or 0, tickets or 0)


def purge(now: datetime | None = None, *, dry_run: bool = False) -> list[PurgeReport]:
    """Anonymise what is past retention in every shop, then old unattributed mail; report per shop.

    A dry run changes nothing.
    """
    now = now or utcnow()
    shop_ids = db.session.scalars(select(Reseller.id).order_by(Reseller.slug)).all()
    reports = [purge_shop(shop_id, now, dry_run=dry_run) for shop_id in shop_ids]
    return [*reports, purge_unattributed_mail(now, dry_run=dry_run)]


def unattributed_mail_due(now: datetime) -> ColumnElement[bool]:
    """Received mail linked to no ticket, older than the platform's period, not yet reduced."""
    days = current_app.config["INBOUND_UNATTRIBUTED_RETENTION_DAYS"]
    return and_(
        InboundEmail.ticket_id.is_(None),
        InboundEmail.created_at <= now - timedelta(days=days),
        received_not_reduced(),
    )


def purge_unattributed_mail(now: datetime, *, dry_run: bool = False) -> PurgeReport:
    """Reduce received mail that no ticket holds once the platform's period has passed.

    Quarantined, automatic and never-placed mail names no customer the purge could follow,
    so it is kept only ``INBOUND_UNATTRIBUTED_RETENTION_DAYS``; the record that it came
    (Message-ID, outcome, reason, time) stays. Reset requests left unanswered for a day go too.
    """
    report = PurgeReport(UNATTRIBUTED_MAIL)
    finish_batch = db.session.flush if dry_run else db.session.commit
    try:
        for batch in _batches(
            select(InboundEmail.id).where(unattributed_mail_due(now)).order_by(InboundEmail.id)
        ):
            report.inbound_emails += reduce_received_emails(batch)
            finish_batch()
        report.tokens += _drop_stale_reset_requests(now)
        if report.tokens:
            finish_batch()
        if dry_run:
            db.session.rollback()
    except BaseException:
        db.session.rollback()
        raise
    return report


def _drop_stale_reset_requests(now: datetime) -> int:
    """Delete reset requests nobody answered in time: each holds an address typed at /reset."""
    stale = delete(PasswordResetRequest).where(PasswordResetRequest.requested_at <= now - RESET_REQUEST_KEPT)
    return db.session.execute(stale.execution_options(synchronize_session=False)).rowcount


def purge_shop(shop_id: int, now: datetime, *, dry_run: bool = False) -> PurgeReport:
    """Anonymise one shop's accounts, then its tickets, past retention, in batches of ``BATCH_SIZE``.

    A real run commits each batch. A dry run does the same work in one transaction and
    rolls it back, so its report is exactly what a real run at ``now`` would do.
    """
    session = db.session
    bound_before = current_tenant(session)
    bind_tenant(session, shop_id)
    try:
        report = _purge_bound_shop(session.get(Reseller, shop_id), now, dry_run)
        if dry_run:
            session.rollback()
        return report
    except BaseException:
        session.rollback()
        raise
    finally:
        bind_tenant(session, bound_before)


def _purge_bound_shop(shop: Reseller, now: datetime, dry_run: bool) -> PurgeReport:
    report = PurgeReport(shop.slug)
    finish_batch = db.session.flush if dry_run else db.session.commit
    accounts = select(Customer).where(accounts_due(shop, now)).order_by(Customer.id)
    tickets = select(Ticket).where(tickets_due(shop, now)).order_by(Ticket.id)
    account_reason = f"closed more than {shop.retain_closed_accounts_months} months ago"
    ticket_reason = f"closed more than {shop.retain_closed_tickets_months} months ago"
    for batch in _batches(accounts):
        anonymise_accounts(shop, batch, now, report, account_reason)
        finish_batch()
    for batch in _batches(tickets):
        anonymise_tickets(shop, batch, now, report, ticket_reason)
        finish_batch()
    late = reduce_late_emails(shop)
    if late:
        report.sent_emails += late
        finish_batch()
    return report


def _batches(query: Select) -> Iterator[Sequence]:
    """Yield the first ``BATCH_SIZE`` rows still due, again and again, until none is left.

    On PostgreSQL each batch is locked, and rows another purge holds are skipped, so two
    purges started together share the work instead of doing it twice. The lock is FOR NO KEY
    UPDATE: a request adding a row that refers to a held account or ticket is not blocked.
    """
    claim = query.limit(BATCH_SIZE).with_for_update(skip_locked=True, key_share=True)
    while batch := db.session.scalars(claim).all():
        yield batch
