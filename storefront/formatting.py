"""How counts, file sizes and times read for people, in every page and email."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

KIB, MIB = 1024, 1024 * 1024


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """Return ``1 ticket``, ``2 tickets``; ``plural`` for nouns that do not just add an s."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def file_size(size_bytes: int) -> str:
    """Return a file's size as people read it: ``512 bytes``, ``1.5 KB``, ``12 KB``, ``3.2 MB``."""
    if size_bytes < KIB:
        return counted(size_bytes, "byte")
    if size_bytes < MIB:
        return _one_decimal_below_ten(size_bytes / KIB, "KB")
    return _one_decimal_below_ten(size_bytes / MIB, "MB")


def _one_decimal_below_ten(value: float, unit: str) -> str:
    shown = f"{value:.1f}" if value < 9.95 else f"{value:,.0f}"
    return f"{shown.removesuffix('.0')} {unit}"


def zone_name(timezone: str) -> str:
    """Return a time zone as people name it: ``Asia/Kuala_Lumpur`` is ``Kuala Lumpur``."""
    return timezone.rpartition("/")[2].replace("_", " ")


def zone_time(moment: datetime, timezone: str) -> str:
    """Return a UTC time in ``timezone`` with the zone named, for example
    ``8 Dec 2026, 18:57 (Kuala Lumpur time, UTC+8)``: emails are read away from the console."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.strftime('%-d %b %Y, %H:%M')} ({_zone_label(local, timezone)})"


def _zone_label(local: datetime, timezone: str) -> str:
    if timezone == "UTC":
        return "UTC"
    minutes = int(local.utcoffset().total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    offset = f"UTC{'+' if minutes >= 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")
    return f"{zone_name(timezone)} time, {offset}"


def init_app(app: Flask) -> None:
    """Offer the formats to every template: ``counted``, ``file_size`` and ``zone_time``."""
    app.jinja_env.filters.update(counted=counted, file_size=file_size, zone_time=zone_time)
