"""The ``storefront mail`` commands: ``send`` now; ``ingest`` and ``serve`` belong here too."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .delivery import deliver_due
from .relay import MailConfigError

mail_group = AppGroup("mail", help="Outgoing and incoming email.")


@mail_group.command("send")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Most messages to send in this pass.",
)
def send_command(limit: int) -> None:
    """Deliver the messages in the outbox that are due, over one SMTP connection."""
    try:
        report = deliver_due(limit=limit)
    except MailConfigError as error:
        raise click.ClickException(str(error)) from None
    click.echo(str(report))
