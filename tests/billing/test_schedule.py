"""A shop's billing schedule: whole days in sane ranges, reminders as a comma list."""

from __future__ import annotations

import pytest

from storefront.billing.schedule import ScheduleError, read_schedule, reminder_days

GOOD = {
    "renewal_days_before": "14",
    "reminder_days": "-7, 0, 3, 7",
    "suspend_after_days": "5",
    "termination_warning_days": "7",
    "terminate_after_days": "30",
    "cancel_unpaid_after_days": "7",
}


def test_the_defaults_read_back_as_the_schedule() -> None:
    schedule = read_schedule(GOOD)
    assert schedule.reminder_days == (-7, 0, 3, 7)
    assert (schedule.renewal_days_before, schedule.suspend_after_days, schedule.terminate_after_days) == (
        14,
        5,
        30,
    )


def test_reminders_are_sorted_once_each_and_may_be_none() -> None:
    assert reminder_days(" 7,-7 , +3, 0, 7") == (-7, 0, 3, 7)
    assert reminder_days("") == ()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("renewal_days_before", "0", "from 1 to 60"),
        ("renewal_days_before", "61", "from 1 to 60"),
        ("renewal_days_before", "1.5", "whole number"),
        ("renewal_days_before", "ten", "whole number"),
        ("renewal_days_before", "", "whole number"),
        ("suspend_after_days", "-1", "from 1 to 60"),
        ("terminate_after_days", "5", "Terminate later than you suspend"),
        ("terminate_after_days", "366", "from 2 to 365"),
        ("termination_warning_days", "30", "from 1 to 29"),
        ("cancel_unpaid_after_days", "91", "from 1 to 90"),
        ("reminder_days", "-7; 0", "separated by commas"),
        ("reminder_days", "-61", "from -60 to 60"),
        ("reminder_days", "1,2,3,4,5,6,7,8,9", "Enter up to 8"),
        ("reminder_days", "3,,7", "separated by commas"),
    ],
)
def test_bad_settings_are_refused_with_a_message_naming_the_setting(
    field: str, value: str, message: str
) -> None:
    with pytest.raises(ScheduleError) as refused:
        read_schedule({**GOOD, field: value})
    assert refused.value.field == field
    assert message in str(refused.value)
