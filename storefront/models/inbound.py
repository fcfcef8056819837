"""Every email that arrives is kept, with what was done with it."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import db
from .base import Timestamped, value_enum


class InboundOutcome(enum.StrEnum):
    """What became of an arriving email."""

    THREADED = "threaded"  # joined an existing ticket
    OPENED = "opened"  # opened a new ticket
    TRIAGE = "triage"  # waits for staff to decide (unknown sender, several shops)
    AUTO_REPLY = "auto_reply"  # stored, never answered
    QUARANTINED = "quarantined"  # malformed or too large: kept aside with the reason


class InboundEmail(Timestamped, db.Model):
    """One received message, raw, with its outcome; the same Message-ID is stored once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    from_address: Mapped[str] = mapped_column(String(320), default="")
    to_address: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(255), default="")
    outcome: Mapped[InboundOutcome] = mapped_column(value_enum(InboundOutcome, 16))
    reason: Mapped[str] = mapped_column(String(300), default="")
    reseller_id: Mapped[int | None] = mapped_column(ForeignKey("reseller.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"))
    raw: Mapped[bytes] = deferred(mapped_column(LargeBinary))
