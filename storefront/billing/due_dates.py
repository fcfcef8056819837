"""Due dates in the shop's calendar: each keeps the day of the month the service was bought on."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def months_after(day: date, months: int, anchor_day: int) -> date:
    """Return the date ``months`` calendar months after ``day`` on ``anchor_day``, clamped to the month's
    end (anchor 31: 31 Jan → 28 or 29 Feb → 31 Mar → 30 Apr)."""
    if not 1 <= anchor_day <= 31:
        raise ValueError(f"anchor day {anchor_day} is not a day of a month")
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month_index + 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def local_date(moment: datetime, timezone: str) -> date:
    """Return the shop's calendar date at a UTC moment (23:30 UTC on 31 Jan is 1 Feb in Kuala Lumpur)."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def start_of_day(day: date, timezone: str) -> datetime:
    """Return the UTC moment the shop's calendar day ``day`` begins."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def last_day_of(period_end: date) -> date:
    """Return the last day a period covers, the day before the next due date."""
    return period_end - timedelta(days=1)
