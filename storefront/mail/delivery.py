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
from sqlalchemy import select, update

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
    """Send up to ``limit`` due messages over one SMTP connection, committing after each.

    Each message is claimed before it is sent, so senders running at once (two workers, or a worker
    and cron) never send one message twice. Only a server's answer counts as an attempt: while the
    relay cannot be reached, messages wait as they are, however long the outage lasts.
    """
    now = now or utcnow()
    report = DeliveryReport()
    relay = Relay(current_app.config)
    claimed: tuple[int, datetime] | None = None
    try:
        for _ in range(limit):
            claimed = _claim_next(now)
            if claimed is None:
                break
            message_id, due_at = claimed
            message = db.session.get(OutboxMessage, message_id)
            try:
                report.count(_deliver(relay, message, now))
            except RelayUnavailable as error:
                report.unreachable = str(error)
                message.next_attempt_at = due_at  # not an attempt: due as it was
                message.last_error = f"relay unreachable: {error}"[:ERROR_MAX]
                log.warning("outbox message %s waits: the relay is unreachable: %s", message.id, error)
            db.session.commit()
            claimed = None
            if relay.unavailable:
                break
    except BaseException:
        db.session.rollback()
        if claimed is not None:
            _release(*claimed)  # the message stays queued for the next run
        raise
    finally:
        relay.close()
    return report


def _claim_next(now: datetime) -> tuple[int, datetime] | None:
    """Claim the longest-due queued message no other sender holds; return its id and due time.

    The claim is a conditional UPDATE, committed before the message is sent: it moves the message's
    next attempt ``MAIL_CLAIM_MINUTES`` ahead, so no other sender finds it due meanwhile, and it
    changes nothing if another sender claimed the message first.
    """
    lease = now + timedelta(minutes=current_app.config["MAIL_CLAIM_MINUTES"])
    while True:
        # SKIP LOCKED passes over a row another sender is claiming on PostgreSQL; SQLite has no row
        # locks, so SQLAlchemy leaves the clause out there and the conditional UPDATE decides.
        candidate = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.next_attempt_at)
            .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if candidate is None:
            return None
        if db.engine.dialect.name == "sqlite":
            db.session.commit()  # end the read, so the claim starts a write and waits its turn
        taken = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == candidate.id,
                OutboxMessage.status == OutboxStatus.QUEUED,
                OutboxMessage.next_attempt_at == candidate.next_attempt_at,
            )
            .values(next_attempt_at=lease),
            execution_options={"synchronize_session": False},
        ).rowcount
        db.session.commit()
        if taken:
            return candidate.id, candidate.next_attempt_at


def _release(message_id: int, due_at: datetime) -> None:
    """Give back a claimed message that was not sent, due as it was (best effort)."""
    try:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.QUEUED)
            .values(next_attempt_at=due_at),
            execution_options={"synchronize_session": False},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.warning("outbox message %s stays claimed until its claim runs out", message_id, exc_info=True)


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
