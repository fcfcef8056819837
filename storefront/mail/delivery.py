"""Delivering the outbox over SMTP: at least once, one connection per run, a commit per message."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, utcnow
from .relay import Relay, RelayRefused, RelayUnavailable

log = logging.getLogger(__name__)
ERROR_MAX = 500


class Outcome(enum.Enum):
    """What one delivery attempt did to a message."""

    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"


@dataclass
class DeliveryReport:
    """How many messages one delivery pass sent, put back for later, and gave up on.

    ``unreachable`` says why the pass stopped when the relay could not be reached.
    """

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unreachable: str | None = None

    def count(self, outcome: Outcome) -> None:
        """Add one message with ``outcome`` to the tally."""
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    def __str__(self) -> str:
        return f"sent {self.sent}, retrying {self.retrying}, failed {self.failed}"


def deliver_due(limit: int = 100, now: datetime | None = None) -> DeliveryReport:
    """Send up to ``limit`` due messages over one SMTP connection, committing after each (so run it alone).

    Only a server's answer counts as an attempt: while the relay cannot be reached, messages wait
    as they are, however long the outage lasts.
    """
    now = now or utcnow()
    report = DeliveryReport()
    relay = Relay(current_app.config)
    try:
        for _ in range(limit):
            message = _next_due(now)
            if message is None:
                break
            try:
                report.count(_deliver(relay, message, now))
            except RelayUnavailable as error:
                report.unreachable = str(error)
                message.last_error = f"relay unreachable: {error}"[:ERROR_MAX]
                log.warning("outbox message %s waits: the relay is unreachable: %s", message.id, error)
            db.session.commit()
            if relay.unavailable:
                break
    except BaseException:
        db.session.rollback()  # release the row lock; the message stays queued for the next run
        raise
    finally:
        relay.close()
    return report


def _next_due(now: datetime) -> OutboxMessage | None:
    """Lock and return the longest-due queued message that no other sender holds."""
    # SKIP LOCKED lets two senders run at once without sending one row twice; SQLite has
    # no row locks and one writer at a time, so SQLAlchemy leaves the clause out there.
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def _deliver(relay: Relay, message: OutboxMessage, now: datetime) -> Outcome:
    """Try one message once and record the outcome on its row; RelayUnavailable leaves it untouched."""
    try:
        email = build_email(message)
    except (ValueError, MessageError) as error:
        return _give_up(message, f"unsendable: {error}")
    recipient = parseaddr(message.to_address)[1]
    try:
        relay.send(email, envelope_sender(message), recipient)
    except RelayRefused as refusal:
        if refusal.permanent:
            return _give_up(message, str(refusal))
        return _retry_later(message, str(refusal), now)
    message.attempts += 1
    message.status = OutboxStatus.SENT
    message.sent_at = utcnow()
    message.last_error = None
    log.info("sent outbox message %s", message.id)
    return Outcome.SENT


def build_email(message: OutboxMessage) -> EmailMessage:
    """Return the message as it goes on the wire: identical on every attempt."""
    email = EmailMessage()
    email["From"] = _mailbox(message.from_address)
    email["To"] = _mailbox(message.to_address)
    if message.reply_to:
        email["Reply-To"] = _mailbox(message.reply_to)
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message.message_id
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text_body)
    if message.html_body is not None:
        email.add_alternative(message.html_body, subtype="html")
    return email


def _mailbox(header_value: str) -> Address:
    """Return the one mailbox of a stored address header, decoded."""
    # Set as an Address, not a string: refolding a string loses quotes in a non-ASCII name.
    [mailbox] = policy.default.header_factory("To", header_value).addresses
    return mailbox


def envelope_sender(message: OutboxMessage) -> str:
    """Return the envelope sender (the future Return-Path): the shop's support address."""
    return parseaddr(message.from_address)[1]


def _retry_later(message: OutboxMessage, error: str, now: datetime) -> Outcome:
    """Count a failed attempt and schedule the next one, or give up when the schedule is spent."""
    message.attempts += 1
    delays = current_app.config["MAIL_RETRY_MINUTES"]
    if message.attempts > len(delays):
        return _give_up(message, error, counted=True)
    message.last_error = error[:ERROR_MAX]
    message.next_attempt_at = now + timedelta(minutes=delays[message.attempts - 1])
    log.warning("outbox message %s deferred (attempt %s): %s", message.id, message.attempts, error)
    return Outcome.RETRYING


def _give_up(message: OutboxMessage, error: str, *, counted: bool = False) -> Outcome:
    """Mark a message failed for good."""
    if not counted:
        message.attempts += 1
    message.status = OutboxStatus.FAILED
    message.last_error = error[:ERROR_MAX]
    log.warning("outbox message %s failed: %s", message.id, error)
    return Outcome.FAILED
