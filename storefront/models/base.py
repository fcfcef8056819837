"""Shared column helpers and the tenant mixin."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, ForeignKey, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused; use aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def value_enum(cls: type[enum.Enum], length: int = 24, **options: object) -> Enum:
    """A string column holding an enum's values (not its names), without a database enum type."""
    return Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e], **options
    )


class TenantScoped:
    """A row that belongs to one reseller; queries are filtered to the current one."""

    reseller_id: Mapped[int] = mapped_column(ForeignKey("reseller.id", ondelete="CASCADE"), index=True)


class Timestamped:
    """A row that records when it was created."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def render_migration_item(type_: str, obj: object, autogen_context) -> str | bool:
    """Write our column types into migrations as the plain SQLAlchemy types they store as."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
