"""A shop's billing schedule: when renewal invoices, reminders, suspension, the termination warning,
termination and the cancelling of unpaid new orders fall, in whole days of the shop's calendar."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import Reseller

RENEWAL_DAYS = (1, 60)
REMINDER_DAYS = (-60, 60)
REMINDERS_MAX = 8
SUSPEND_DAYS = (1, 60)
TERMINATE_DAYS = (2, 365)
CANCEL_DAYS = (1, 90)
_WHOLE_DAYS = re.compile(r"[+-]?[0-9]{1,3}")


class ScheduleError(ValueError):
    """A schedule that cannot be used; ``field`` names the setting, the message says what to enter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Schedule:
    """The days a shop's billing run works to."""

    renewal_days_before: int
    reminder_days: tuple[int, ...]
    suspend_after_days: int
    termination_warning_days: int
    terminate_after_days: int
    cancel_unpaid_after_days: int

    def describe(self) -> str:
        """The schedule in one line, for the audit log."""
        reminders = ", ".join(f"{day:+d}" if day else "0" for day in self.reminder_days)
        return (
            f"invoice {self.renewal_days_before} days before due; reminders {reminders}; "
            f"suspend {self.suspend_after_days}, warn {self.termination_warning_days} days before "
            f"terminating at {self.terminate_after_days} days overdue; "
            f"cancel unpaid orders after {self.cancel_unpaid_after_days} days"
        )


def schedule_of(shop: Reseller) -> Schedule:
    """Return the schedule a shop keeps."""
    return Schedule(
        shop.renewal_days_before,
        tuple(shop.reminder_days),
        shop.suspend_after_days,
        shop.termination_warning_days,
        shop.terminate_after_days,
        shop.cancel_unpaid_after_days,
    )


def whole_days(raw: object, field: str, bounds: tuple[int, int]) -> int:
    """Read a whole number of days within ``bounds`` from a form value; anything else is a ScheduleError."""
    text = str(raw if raw is not None else "").strip()
    low, high = bounds
    if not _WHOLE_DAYS.fullmatch(text) or not low <= int(text) <= high:
        raise ScheduleError(field, f"Enter a whole number of days from {low} to {high}.")
    return int(text)


def reminder_days(raw: object) -> tuple[int, ...]:
    """Read reminder days from a comma list such as ``-7, 0, 3, 7`` (days from the due date, negative
    before it); returned sorted, each once."""
    text = str(raw if raw is not None else "").strip()
    message = (
        f"Enter up to {REMINDERS_MAX} whole numbers of days from the due date, separated by commas "
        f"(negative before it, for example -7, 0, 3, 7), each from {REMINDER_DAYS[0]} to {REMINDER_DAYS[1]}."
    )
    if not text:
        return ()
    days = [part.strip() for part in text.split(",")]
    if len(days) > REMINDERS_MAX or not all(_WHOLE_DAYS.fullmatch(day) for day in days):
        raise ScheduleError("reminder_days", message)
    values = sorted({int(day) for day in days})
    if not all(REMINDER_DAYS[0] <= day <= REMINDER_DAYS[1] for day in values):
        raise ScheduleError("reminder_days", message)
    return tuple(values)


def read_schedule(values: dict[str, object]) -> Schedule:
    """Check every setting of a schedule from form values and return it; the first fault is raised."""
    suspend = whole_days(values.get("suspend_after_days"), "suspend_after_days", SUSPEND_DAYS)
    terminate = whole_days(values.get("terminate_after_days"), "terminate_after_days", TERMINATE_DAYS)
    if terminate <= suspend:
        raise ScheduleError(
            "terminate_after_days", "Terminate later than you suspend: enter more days than for suspension."
        )
    warning = whole_days(
        values.get("termination_warning_days"), "termination_warning_days", (1, terminate - 1)
    )
    return Schedule(
        renewal_days_before=whole_days(
            values.get("renewal_days_before"), "renewal_days_before", RENEWAL_DAYS
        ),
        reminder_days=reminder_days(values.get("reminder_days")),
        suspend_after_days=suspend,
        termination_warning_days=warning,
        terminate_after_days=terminate,
        cancel_unpaid_after_days=whole_days(
            values.get("cancel_unpaid_after_days"), "cancel_unpaid_after_days", CANCEL_DAYS
        ),
    )


def save_schedule(shop: Reseller, schedule: Schedule) -> None:
    """Set a shop's billing schedule; the caller audits and commits."""
    shop.renewal_days_before = schedule.renewal_days_before
    shop.reminder_days = list(schedule.reminder_days)
    shop.suspend_after_days = schedule.suspend_after_days
    shop.termination_warning_days = schedule.termination_warning_days
    shop.terminate_after_days = schedule.terminate_after_days
    shop.cancel_unpaid_after_days = schedule.cancel_unpaid_after_days
