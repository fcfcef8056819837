"""A second factor for staff and team members: a TOTP secret and single-use recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Timestamped, UTCDateTime


class SecondFactorMixin:
    """Columns on an account that may use TOTP; enabled once the first code was confirmed."""

    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last accepted time step: a code is never accepted twice.
    totp_last_step: Mapped[int | None]

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enabled_at is not None


class RecoveryCode(Timestamped, db.Model):
    """One single-use recovery code of an account (staff:<id> or team:<id>); only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    identity: Mapped[str] = mapped_column(String(60), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
