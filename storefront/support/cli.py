"""The ``storefront tickets`` commands."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from .reminders import send_deadline_reminders

tickets_group = AppGroup("tickets", help="Support tickets.")


@tickets_group.command("remind")
@click.option("--within-minutes", type=click.IntRange(min=1, max=1440), default=60, show_default=True)
def remind_command(within_minutes: int) -> None:
    """Warn shop teams about answers due soon (run every few minutes from cron or a timer)."""
    count = send_deadline_reminders(timedelta(minutes=within_minutes))
    click.echo(f"Warned about {count} ticket{'s' if count != 1 else ''}.")
