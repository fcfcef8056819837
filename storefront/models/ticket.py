"""Support tickets: the conversation, its reply deadline, its tier, and every escalation."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .base import TenantScoped, Timestamped, UTCDateTime, utcnow, value_enum
from .numbering import ShopNumbered, unique_number


class TicketStatus(enum.StrEnum):
    """Where a ticket stands."""

    OPEN = "open"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketTier(enum.StrEnum):
    """Who owes the customer an answer: the shop's team, or the platform's staff."""

    RESELLER = "reseller"
    PLATFORM = "platform"


class Author(enum.StrEnum):
    """Who wrote a message."""

    CUSTOMER = "customer"
    TEAM = "team"
    STAFF = "staff"
    SYSTEM = "system"


class Ticket(ShopNumbered, Timestamped, db.Model):
    """A support conversation between a customer and their shop (or, escalated, the platform)."""

    __table_args__ = (
        Index("ix_ticket_queue", "tier", "status", "reply_due_at"),
        Index("ix_ticket_reseller_customer", "reseller_id", "customer_id"),
        # The team's inbox counts and lists one shop's tickets in a view (open ones by default), so
        # years of closed tickets are not read to show the open few.
        Index("ix_ticket_reseller_status", "reseller_id", "status"),
        unique_number("ticket"),
        CheckConstraint("priority BETWEEN 0 AND 2", "priority_range"),
        CheckConstraint("customer_id IS NOT NULL OR guest_email IS NOT NULL", "has_requester"),
    )

    NUMBER_SEQUENCE = "ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    guest_email: Mapped[str | None] = mapped_column(String(254))
    guest_name: Mapped[str | None] = mapped_column(String(120))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[TicketStatus] = mapped_column(value_enum(TicketStatus), default=TicketStatus.OPEN)
    tier: Mapped[TicketTier] = mapped_column(value_enum(TicketTier, 16), default=TicketTier.RESELLER)
    priority: Mapped[int] = mapped_column(default=0)
    reply_token: Mapped[str] = mapped_column(String(64), unique=True)
    # Set when the customer writes and nobody has answered since; cleared by an answer.
    awaiting_reply_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The deadline the team was last warned about, so each deadline warns once.
    reminded_for_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when retention passed and the ticket's personal data was removed.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Opened by email that nothing we trust proved came from its From address: a guest, never
    # acknowledged, and marked for the team.
    sender_unverified: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)

    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketMessage.id"
    )

    def deadline_missed(self, now: datetime) -> bool:
        """True when the customer is waiting past the shop's response target."""
        return self.reply_due_at is not None and self.reply_due_at < now


class TicketMessage(TenantScoped, Timestamped, db.Model):
    """One message or internal note in a ticket."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    author: Mapped[Author] = mapped_column(value_enum(Author, 16))
    team_member_id: Mapped[int | None] = mapped_column(ForeignKey("team_member.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(default=False)
    email_message_id: Mapped[str | None] = mapped_column(String(255), index=True)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    attachments: Mapped[list[Attachment]] = relationship(cascade="all, delete-orphan")


class Escalation(TenantScoped, Timestamped, db.Model):
    """Who moved a ticket to the platform, why, and when (or who handed it back)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    by: Mapped[str] = mapped_column(String(40))  # customer, team:<id>, staff:<id>, deadline, email
    reason: Mapped[str] = mapped_column(String(40))  # asked, deadline_missed, handed_over, email, handed_back
    note: Mapped[str] = mapped_column(Text, default="")


class Attachment(TenantScoped, Timestamped, db.Model):
    """A file that came with a message, stored under a server-made name."""

    __table_args__ = (CheckConstraint("size_bytes >= 0", "size_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("ticket_message.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
