"""The billing run: each shop, on its own calendar date, through every step of its schedule, in batches.

Run hourly by the worker and by ``storefront billing run`` (for cron): a run on a date does what is due
on that date and what earlier runs missed, and a second run the same day does nothing. Every batch is
committed on its own, so a run killed part-way loses nothing and the next run carries on; the claims in
each step (row locks skipped on PostgreSQL, conditional updates, unique notices) mean two runs at once
never double an invoice, a change or an email.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import ColumnElement, Select, func, select

from ..extensions import db
from ..formatting import counted
from ..models import Reseller, bind_tenant, utcnow
from .due_dates import local_date
from .dunning import (
    end_at_term,
    ending_at_term,
    overdue_candidates,
    remind,
    suspend_overdue,
    term_candidates,
    terminate_overdue,
    to_remind,
    to_suspend,
    to_terminate,
    to_warn,
    warn_of_termination,
)
from .notices import Mailer
from .renewal_invoices import issue_renewal_invoices, renewal_candidates
from .unpaid_orders import cancel_unpaid_orders, order_candidates

BATCH_SIZE = 500


@dataclass(frozen=True)
class Step:
    """One step of the run: what it does to a batch, and what it would find (for a dry run)."""

    name: str
    nouns: tuple[str, str]  # what a report counts, singular and plural
    work: Callable[[Reseller, date, datetime, int, Mailer], tuple[int, int]]
    due: Callable[[Reseller, date], list[Select]]


def _reminders_due(shop: Reseller, as_of: date) -> list[Select]:
    offsets = sorted(shop.reminder_days)
    return [
        overdue_candidates(to_remind(shop, as_of, offset, later))
        for offset, later in zip(offsets, [*offsets[1:], None], strict=True)
    ]


def _term(
    condition: Callable[[Reseller, date], ColumnElement[bool]],
) -> Callable[[Reseller, date], list[Select]]:
    return lambda shop, as_of: [term_candidates(condition(shop, as_of))]


def _renewals(shop: Reseller, as_of: date) -> list[Select]:
    return [renewal_candidates(shop, as_of)]


def _orders(shop: Reseller, as_of: date) -> list[Select]:
    return [order_candidates(shop, as_of)]


def _overdue(
    condition: Callable[[Reseller, date], ColumnElement[bool]],
) -> Callable[[Reseller, date], list[Select]]:
    return lambda shop, as_of: [overdue_candidates(condition(shop, as_of))]


STEPS = (
    Step("ended", ("service ended at term", "services ended at term"), end_at_term, _term(ending_at_term)),
    Step(
        "invoiced", ("renewal invoice issued", "renewal invoices issued"), issue_renewal_invoices, _renewals
    ),
    Step(
        "terminated", ("service terminated", "services terminated"), terminate_overdue, _overdue(to_terminate)
    ),
    Step("warned", ("termination warning", "termination warnings"), warn_of_termination, _overdue(to_warn)),
    Step("suspended", ("service suspended", "services suspended"), suspend_overdue, _overdue(to_suspend)),
    Step("reminded", ("reminder", "reminders"), remind, _reminders_due),
    Step(
        "orders_cancelled",
        ("unpaid order cancelled", "unpaid orders cancelled"),
        cancel_unpaid_orders,
        _orders,
    ),
)


@dataclass
class ShopReport:
    """What a run did (or, dry, would do) at one shop on its date."""

    shop: str
    as_of: date
    counts: dict[str, int] = field(default_factory=dict)
    failed: bool = False  # a step failed: its batch was rolled back, the log says why

    def __bool__(self) -> bool:
        return self.failed or any(self.counts.values())

    def summary(self) -> str:
        """The shop's line: each step with something to do, in the run's order."""
        done = [counted(self.counts[step.name], *step.nouns) for step in STEPS if self.counts.get(step.name)]
        if self.failed:
            done.append("stopped by an error (see the log); the next run tries again")
        return ", ".join(done) or "nothing due"


class UnknownShop(LookupError):
    """No shop has the slug asked for."""


def run_billing(
    as_of: date | None = None,
    *,
    dry_run: bool = False,
    shop_slug: str | None = None,
    now: datetime | None = None,
) -> list[ShopReport]:
    """Run every step for every active shop (or one), on ``as_of`` or each shop's own date today."""
    now = now or utcnow()
    query = select(Reseller.id).where(Reseller.active.is_(True)).order_by(Reseller.id)
    if shop_slug is not None:
        query = query.where(Reseller.slug == shop_slug)
    shop_ids = list(db.session.scalars(query))
    if shop_slug is not None and not shop_ids:
        raise UnknownShop(shop_slug)
    reports = []
    for shop_id in shop_ids:
        bind_tenant(db.session, shop_id)
        shop = db.session.get(Reseller, shop_id)
        report = ShopReport(shop.slug, as_of or local_date(now, shop.timezone))
        try:
            _run_shop(shop, report, now, dry_run)
        except Exception:  # one shop's failure must not stop the others: its batch rolls back, it retries
            current_app.logger.exception("billing run failed at shop %s", report.shop)
            report.failed = True
        finally:
            db.session.rollback()
            bind_tenant(db.session, None)
        reports.append(report)
    return reports


def _run_shop(shop: Reseller, report: ShopReport, now: datetime, dry_run: bool) -> None:
    day, mailer = report.as_of, Mailer(shop)
    for step in STEPS:
        report.counts[step.name] = _count(step, shop, day) if dry_run else _work(step, shop, day, now, mailer)


def _count(step: Step, shop: Reseller, as_of: date) -> int:
    return sum(
        db.session.scalar(select(func.count()).select_from(query.subquery()))
        for query in step.due(shop, as_of)
    )


def _work(step: Step, shop: Reseller, as_of: date, now: datetime, mailer: Mailer) -> int:
    """Run a step batch after batch, committing each, until a batch comes back short or claims nothing."""
    total = 0
    while True:
        found, done = step.work(shop, as_of, now, BATCH_SIZE, mailer)
        mailer.flush()
        db.session.commit()
        total += done
        if found < BATCH_SIZE or done == 0:
            return total
