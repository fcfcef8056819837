"""The outbox: every email is a row written with the change it reports, delivered later."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Timestamped, UTCDateTime, utcnow, value_enum


class OutboxStatus(enum.StrEnum):
    """Where a message stands."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # refused for good, or out of attempts


class OutboxMessage(Timestamped, db.Model):
    """One email to send; its Message-ID is fixed when queued, so retries are the same message."""

    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reseller_id: Mapped[int | None] = mapped_column(ForeignKey("reseller.id", ondelete="SET NULL"))
    # Whose personal data the email carries, recorded when it is queued, so the retention purge
    # finds every copy through these links: the customer's account, or the ticket it is about.
    # Both empty: an email about the shop's team only (an invitation, a second-factor reset).
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"), index=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    from_address: Mapped[str] = mapped_column(String(320))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[OutboxStatus] = mapped_column(
        value_enum(OutboxStatus, 16),
        default=OutboxStatus.QUEUED,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
