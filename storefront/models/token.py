"""Single-use, short-lived tokens emailed to customers (only their hash is stored), and reset requests."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import TenantScoped, Timestamped, UTCDateTime, utcnow, value_enum


class TokenPurpose(enum.StrEnum):
    """What an emailed token lets its holder do."""

    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


class AccountToken(TenantScoped, Timestamped, db.Model):
    """An emailed link's secret, kept as a SHA-256 hash."""

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(value_enum(TokenPurpose, 24))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordResetRequest(TenantScoped, db.Model):
    """Someone asked for a reset link to this address; the delivery step answers and deletes the row.

    /reset writes this one row whatever the address, so its work and timing are the same for
    strangers and customers; only the delivery step looks the account up.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
