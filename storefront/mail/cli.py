"""The ``storefront mail`` commands: ``send`` now; ``ingest`` and ``serve`` belong here too."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..models import OutboxMessage
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


@mail_group.command("outbox")
@click.option("--last", type=click.IntRange(min=1, max=100), default=5, show_default=True)
def outbox_command(last: int) -> None:
    """Print the newest messages in the outbox (for development, where no mail server runs)."""
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(last)).all()
    for message in reversed(messages):
        click.echo(f"--- {message.status.value} · {message.created_at:%Y-%m-%d %H:%M} UTC")
        click.echo(f"To: {message.to_address}\nFrom: {message.from_address}\nSubject: {message.subject}\n")
        click.echo(message.text_body.strip() + "\n")
    if not messages:
        click.echo("The outbox is empty.")
