"""The staff console's clock: times are entered and shown in the platform's own time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app


def staff_zone() -> ZoneInfo:
    """Return the zone staff work in (the configured default, Asia/Kuala_Lumpur)."""
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


def zone_label() -> str:
    """Name the zone for a page heading, for example ``Kuala Lumpur time``."""
    return f"{current_app.config['DEFAULT_TIMEZONE'].rpartition('/')[2].replace('_', ' ')} time"


def staff_time(moment: datetime | None) -> str:
    """Show a stored UTC time in the staff zone, for example ``24 Nov 2026, 14:05``."""
    return moment.astimezone(staff_zone()).strftime("%-d %b %Y, %H:%M") if moment else ""


def staff_date(moment: datetime | None) -> str:
    """Show a stored UTC time as a date in the staff zone, for example ``24 Nov 2026``."""
    return moment.astimezone(staff_zone()).strftime("%-d %b %Y") if moment else ""
