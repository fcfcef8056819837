"""Every email that arrives is kept, with what was done with it."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import db
from .base import Timestamped, UTCDateTime, value_enum


class InboundOutcome(enum.StrEnum):
    """What became of an arriving email."""

    THREADED = "threaded"  # joined an existing ticket
    OPENED = "opened"  # opened a new ticket
    TRIAGE = "triage"  # waits for staff to decide (unknown sender, several shops)
    AUTO_REPLY = "auto_reply"  # stored, never answered
    QUARANTINED = "quarantined"  # malformed, too large or a reused Message-ID: kept aside with the reason


def _public_token() -> str:
    return secrets.token_urlsafe(16)


class InboundEmail(Timestamped, db.Model):
    """One received message, raw, with its outcome; one message (Message-ID and content) is stored once."""

    __table_args__ = (
        UniqueConstraint("message_id", "content_hash"),
        Index("ix_inbound_email_held", "reseller_id", "outcome", "dismissed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # An opaque name for the message in a shop's console URLs, never its row id.
    token: Mapped[str] = mapped_column(String(32), unique=True, default=_public_token)
    message_id: Mapped[str] = mapped_column(String(255), index=True)
    # SHA-256 of the message without the headers each receiving hop adds (Received, Return-Path…).
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    from_address: Mapped[str] = mapped_column(String(320), default="")
    to_address: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(255), default="")
    outcome: Mapped[InboundOutcome] = mapped_column(value_enum(InboundOutcome, 16))
    reason: Mapped[str] = mapped_column(String(300), default="")
    # Whether the trusted receiving server's results prove the From address, and what they said.
    sender_authenticated: Mapped[bool] = mapped_column(default=False)
    authentication: Mapped[str] = mapped_column(String(200), default="")
    reseller_id: Mapped[int | None] = mapped_column(ForeignKey("reseller.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"))
    # Set when the shop's team or staff looked at a kept-aside message and set it aside for good.
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    raw: Mapped[bytes] = deferred(mapped_column(LargeBinary))
