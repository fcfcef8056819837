"""The ``storefront billing`` commands."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from .run import STEPS, ShopReport, UnknownShop, run_billing

billing_group = AppGroup("billing", help="Renewals, reminders, suspension and termination.")


@billing_group.command("run")
@click.option("--as-of", "as_of", help="The date to run for, YYYY-MM-DD (default: each shop's date today).")
@click.option("--dry-run", is_flag=True, help="Print what would be done, and change nothing.")
@click.option("--shop", "shop_slug", help="Run for this shop only (its slug).")
def run_command(as_of: str | None, dry_run: bool, shop_slug: str | None) -> None:
    """Do what each shop's billing schedule has due: issue renewal invoices, remind, suspend, warn,
    terminate, end services at term and cancel unpaid new orders, and print what was done per shop.

    Run it daily or hourly, from cron or a timer; a second run the same day finds nothing more.
    """
    day = _date(as_of) if as_of else None
    try:
        reports = run_billing(day, dry_run=dry_run, shop_slug=shop_slug)
    except UnknownShop:
        raise click.BadParameter(f"no shop has the slug {shop_slug!r}", param_hint="--shop") from None
    for line in report_lines(reports, dry_run=dry_run):
        click.echo(line)
    if any(report.failed for report in reports):
        raise SystemExit(1)  # cron mails the output: a shop needs looking at


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise click.BadParameter(
            "write the date as YYYY-MM-DD, for example 2026-03-31", param_hint="--as-of"
        ) from None


def report_lines(reports: list[ShopReport], *, dry_run: bool = False) -> list[str]:
    """One line per shop, then the totals; a dry run says so first."""
    lines = ["Dry run: nothing was changed. A run now would do this:"] if dry_run else []
    for report in reports:
        lines.append(f"{report.shop} ({report.as_of.isoformat()}): {report.summary()}")
    totals = {step.name: sum(report.counts.get(step.name, 0) for report in reports) for step in STEPS}
    total = ShopReport("total", date.min, totals)
    lines.append(f"Total: {total.summary()}")
    return lines
