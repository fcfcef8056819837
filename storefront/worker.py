"""The background steps and their schedule, and ``storefront worker``, which runs them.

Each step is the work of a cron command (`mail send`, `tickets remind`, `privacy purge`, `billing run`),
finds what is due in the database and claims it, so steps may overlap across workers and machines.
"""

from __future__ import annotations

import logging
import sys
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from huey import crontab

from .billing.run import run_billing
from .identity.password_resets import write_reset_emails
from .jobs import Step, jobs_of
from .mail.delivery import deliver_due
from .mail.outbox import DELIVERY_STEP
from .privacy.retention import purge
from .support.reminders import send_deadline_reminders

DELIVERY_BATCH = 100
REMINDER_WINDOW = timedelta(hours=1)


def deliver_mail() -> None:
    """Write the asked-for reset emails, then deliver every due outbox message."""
    write_reset_emails()
    while True:
        report = deliver_due(limit=DELIVERY_BATCH)
        if report.unreachable or report.sent + report.retrying + report.failed < DELIVERY_BATCH:
            return


def remind_tickets() -> None:
    """Warn shop teams about answers due within the hour."""
    send_deadline_reminders(REMINDER_WINDOW)


def purge_retention() -> None:
    """Anonymise what is past each shop's retention."""
    purge()


def bill() -> None:
    """Run each shop's billing schedule for its date today (hourly: a shop's date turns at its midnight)."""
    run_billing()


STEPS = (
    Step(DELIVERY_STEP, deliver_mail, crontab(minute="*")),
    Step("remind_tickets", remind_tickets, crontab(minute="*/5")),
    Step("purge_retention", purge_retention, crontab(minute="30", hour="3")),
    Step("billing_run", bill, crontab(minute="7")),
)


def add_steps(app: Flask) -> None:
    """Register the background steps on the app's job queue."""
    queue = jobs_of(app)
    for step in STEPS:
        queue.add(step)


@click.command("worker")
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=None,
    help="Threads running jobs (default: JOBS_WORKERS).",
)
@with_appcontext
def worker_command(workers: int | None) -> None:
    """Run the background jobs and their schedule until SIGTERM (running jobs finish) or Ctrl+C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    queue = jobs_of(current_app)
    consumer = queue.huey.create_consumer(
        workers=workers or current_app.config["JOBS_WORKERS"],
        worker_type="thread",
        periodic=True,
        graceful_signal="TERM",
    )
    click.echo(
        f"Worker running {', '.join(sorted(queue.steps))} from {_safe(current_app.config['JOBS_URL'])}."
    )
    sys.stdout.flush()
    consumer.run()
    click.echo("Worker stopped.")


def _safe(url: str) -> str:
    """Return ``url`` without a password."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}{sep}{host}" if at else url
