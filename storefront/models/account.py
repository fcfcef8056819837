"""The people who sign in: customers, reseller team members and platform staff."""

from __future__ import annotations

import enum
from datetime import datetime
from functools import lru_cache

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import Timestamped, UTCDateTime, value_enum
from .numbering import ShopNumbered, unique_number
from .second_factor import SecondFactorMixin


def hash_password(password: str) -> str:
    """Hash a password with the configured method (scrypt unless configured otherwise)."""
    method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
    return generate_password_hash(password, method=method)


@lru_cache(maxsize=4)
def _decoy_hash(method: str) -> str:
    return generate_password_hash("decoy-for-unknown-accounts", method=method)


def verified(account: PasswordMixin | None, password: str) -> PasswordMixin | None:
    """Return the account if the password is right; for no account, take as long and return None."""
    if account is None:
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
        check_password_hash(_decoy_hash(method), password)
        return None
    return account if account.check_password(password) else None


class PasswordMixin(UserMixin):
    """A hashed password, and an epoch that ends every session when it moves on.

    The session stores ``kind:id:epoch``; signing out everywhere or changing the
    password bumps the epoch, so a replayed old cookie no longer loads anyone.
    """

    identity_kind = ""
    password_hash: Mapped[str] = mapped_column(String(255))
    auth_epoch: Mapped[int] = mapped_column(default=0)

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Make every existing session of this account worthless."""
        self.auth_epoch = (self.auth_epoch or 0) + 1

    def get_id(self) -> str:
        return f"{self.identity_kind}:{self.id}:{self.auth_epoch}"


class Customer(ShopNumbered, PasswordMixin, Timestamped, db.Model):
    """An end customer; belongs to exactly one reseller."""

    identity_kind = "customer"
    NUMBER_SEQUENCE = "customer"

    __table_args__ = (
        UniqueConstraint("reseller_id", "email"),
        unique_number("customer"),
        CheckConstraint("email = lower(email)", "email_lower"),
        # The console lists a shop's customers newest first.
        Index("ix_customer_reseller_created", "reseller_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The version of the shop's privacy notice the customer last accepted (0: none yet).
    privacy_notice_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Marketing from the shop is off until the customer gives consent; ConsentEvent keeps the history.
    marketing_consent: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Closed by the customer: no more sign-in; anonymised once the shop's retention has passed.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        return self.closed_at is None


class TeamRole(enum.StrEnum):
    """What a reseller's team member may do."""

    OWNER = "owner"
    AGENT = "agent"


class TeamMember(ShopNumbered, PasswordMixin, SecondFactorMixin, Timestamped, db.Model):
    """A user of a reseller's console."""

    identity_kind = "team"
    NUMBER_SEQUENCE = "team_member"

    __table_args__ = (
        UniqueConstraint("reseller_id", "email"),
        unique_number("team_member"),
        CheckConstraint("email = lower(email)", "email_lower"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[TeamRole] = mapped_column(value_enum(TeamRole, 16))
    # Set when an owner removes the member; a removed member cannot sign in or keep a session.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class StaffRole(enum.StrEnum):
    """What a platform employee may do."""

    ADMIN = "admin"
    SUPPORT = "support"
    BILLING = "billing"


class StaffUser(PasswordMixin, SecondFactorMixin, Timestamped, db.Model):
    """A platform employee; signs in only on the staff host."""

    identity_kind = "staff"

    __table_args__ = (CheckConstraint("email = lower(email)", "email_lower"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[StaffRole] = mapped_column(value_enum(StaffRole, 16))
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def is_active(self) -> bool:
        return self.active


class TeamInvitation(ShopNumbered, Timestamped, db.Model):
    """An owner's emailed invitation to join the team; only the secret's hash is stored."""

    __table_args__ = (
        unique_number("team_invitation"),
        CheckConstraint("email = lower(email)", "email_lower"),
    )
    NUMBER_SEQUENCE = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[TeamRole] = mapped_column(value_enum(TeamRole, 16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("team_member.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
