"""The ``storefront mail`` commands: deliver the outbox, and take in mail (one message, or a listener)."""

from __future__ import annotations

from typing import BinaryIO

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ...extensions import db
from ...identity.password_resets import write_reset_emails
from ...mail.catcher import catcher_controller, catcher_folder, caught_emails, text_of
from ...mail.delivery import deliver_due
from ...mail.relay import MailConfigError
from ...models import InboundEmail, OutboxMessage
from . import listener as server
from .intake import DATABASE_UNAVAILABLE, ingest

EX_TEMPFAIL = 75  # sysexits.h: the mail server keeps the message and tries again later

mail_group = AppGroup("mail", help="Outgoing and incoming email.")


@mail_group.command("send")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Most messages to send in this pass.",
)
@click.pass_context
def send_command(ctx: click.Context, limit: int) -> None:
    """Write the asked-for reset emails, then deliver the due messages over one SMTP connection.

    Exits 75 (try again later) when the relay cannot be reached, so cron can alert.
    """
    write_reset_emails()
    try:
        report = deliver_due(limit=limit)
    except MailConfigError as error:
        raise click.ClickException(str(error)) from None
    click.echo(str(report))
    if report.unreachable:
        config = current_app.config
        relay = f"{config['MAIL_SMTP_HOST']}:{config['MAIL_SMTP_PORT']}"
        reason = f"the mail relay {relay} cannot be reached ({report.unreachable})"
        click.echo(f"{reason}; due messages wait for the next run", err=True)
        ctx.exit(EX_TEMPFAIL)


@mail_group.command("outbox")
@click.option("--last", type=click.IntRange(min=1, max=100), default=5, show_default=True)
def outbox_command(last: int) -> None:
    """Print the newest messages in the outbox (for development, where no mail server runs).

    Asked-for reset emails are written first, as `mail send` would.
    """
    write_reset_emails()
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(last)).all()
    for message in reversed(messages):
        click.echo(f"--- {message.status.value} · {message.created_at:%Y-%m-%d %H:%M} UTC")
        click.echo(f"To: {message.to_address}\nFrom: {message.from_address}\nSubject: {message.subject}\n")
        click.echo(message.text_body.strip() + "\n")
    if not messages:
        click.echo("The outbox is empty.")


def describe(record: InboundEmail) -> str:
    """Return one line saying what became of an inbound message."""
    ticket = f", ticket {record.ticket_id}" if record.ticket_id else ""
    return f"{record.outcome.value} (inbound {record.id}{ticket}): {record.reason}"


@mail_group.command("ingest")
@click.option(
    "--envelope-to",
    "envelope_to",
    multiple=True,
    metavar="ADDRESS",
    help="An envelope recipient, as the mail server knows it (repeatable).",
)
@click.argument("message", type=click.File("rb"), default="-")
@click.pass_context
def ingest_command(ctx: click.Context, envelope_to: tuple[str, ...], message: BinaryIO) -> None:
    """File one RFC 822 message (standard input, or MESSAGE) and print what became of it."""
    # click.File reads "-" as binary standard input; click.get_binary_stream is deprecated.
    raw = message.read()
    try:
        record = ingest(raw, envelope_to=list(envelope_to))
    except DATABASE_UNAVAILABLE as error:
        click.echo(f"database unavailable, try again later: {type(error).__name__}", err=True)
        ctx.exit(EX_TEMPFAIL)
    click.echo(describe(record))


@mail_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=2525, show_default=True)
def serve_command(host: str, port: int) -> None:
    """Receive mail over SMTP and file each message, until Ctrl+C or SIGTERM."""
    controller = server.inbound_controller(current_app._get_current_object(), host, port)
    try:
        controller.start()
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    click.echo(f"Receiving mail on {host}:{port}; Ctrl+C stops.")
    try:
        server.wait_for_stop()
    finally:
        controller.stop()
    click.echo("Stopped.")


@mail_group.command("catch")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=1025, show_default=True)
def catch_command(host: str, port: int) -> None:
    """Catch every email sent to this SMTP server and keep it for `mail caught` (development)."""
    folder = catcher_folder(current_app)
    controller = catcher_controller(folder, host, port)
    try:
        controller.start()
    except (OSError, RuntimeError) as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    click.echo(f"Catching mail on {host}:{port} into {folder}; Ctrl+C stops.", nl=True)
    try:
        server.wait_for_stop()
    finally:
        controller.stop()
    click.echo("Stopped.")


@mail_group.command("caught")
@click.argument("number", type=click.IntRange(min=1), required=False)
@click.option("--last", type=click.IntRange(min=1, max=500), default=20, show_default=True)
def caught_command(number: int | None, last: int) -> None:
    """List the newest emails the mail catcher caught, or show caught email NUMBER (1 is the newest)."""
    emails = caught_emails(catcher_folder(current_app), max(last, number or 0))
    if number is None:
        for email in emails[:last]:
            click.echo(email.summary)
        if not emails:
            click.echo("No email caught yet.")
        return
    if number > len(emails):
        raise click.BadParameter(f"only {len(emails)} email(s) caught", param_hint="NUMBER")
    message = emails[number - 1].message
    for header in ("Date", "From", "To", "Reply-To", "Subject", "Message-ID"):
        if message[header]:
            click.echo(f"{header}: {message[header]}")
    click.echo("")
    click.echo(text_of(message).strip())
