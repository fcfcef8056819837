"""The ``storefront privacy`` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .purge_report import PurgeReport
from .retention import purge

privacy_group = AppGroup("privacy", help="Customers' personal data.")


@privacy_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Report what would be anonymised, and change nothing.")
def purge_command(dry_run: bool) -> None:
    """Anonymise what is past each shop's retention.

    Closed accounts and closed tickets kept longer than the shop's retention are
    anonymised, and what was done is printed per shop. Run it daily, from cron or a
    timer; a second run finds nothing more.
    """
    for line in report_lines(purge(dry_run=dry_run), dry_run=dry_run):
        click.echo(line)


def report_lines(reports: list[PurgeReport], *, dry_run: bool = False) -> list[str]:
    """One line per shop with something past retention, then the totals."""
    done = [report for report in reports if report]
    lines = ["Dry run: nothing was changed. A purge now would do this:"] if dry_run else []
    if not done:
        return [*lines, "Nothing past retention."]
    total = PurgeReport("total")
    for report in done:
        total.add(report)
    return [*lines, *(f"{report.shop}: {report.summary()}" for report in done), f"Total: {total.summary()}"]
