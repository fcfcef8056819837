"""Due dates keep their anchor day, clamped to short months, in the shop's own calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from storefront.billing.due_dates import last_day_of, local_date, months_after, start_of_day


def _walk(start: date, months: int, steps: int) -> list[date]:
    dates, due = [], start
    for _ in range(steps):
        due = months_after(due, months, start.day)
        dates.append(due)
    return dates


def test_bought_on_the_31st_falls_due_at_each_month_end_then_returns_to_the_31st() -> None:
    assert _walk(date(2026, 1, 31), 1, 6) == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
        date(2026, 7, 31),
    ]


def test_a_leap_year_gives_the_29th_of_february() -> None:
    assert _walk(date(2028, 1, 31), 1, 2) == [date(2028, 2, 29), date(2028, 3, 31)]
    assert _walk(date(2028, 1, 29), 1, 2) == [date(2028, 2, 29), date(2028, 3, 29)]
    assert _walk(date(2027, 1, 29), 1, 2) == [date(2027, 2, 28), date(2027, 3, 29)]


@pytest.mark.parametrize(
    ("bought", "expected"),
    [
        (date(2026, 1, 30), [date(2026, 2, 28), date(2026, 3, 30), date(2026, 4, 30), date(2026, 5, 30)]),
        (date(2026, 1, 29), [date(2026, 2, 28), date(2026, 3, 29), date(2026, 4, 29), date(2026, 5, 29)]),
        (date(2026, 1, 15), [date(2026, 2, 15), date(2026, 3, 15), date(2026, 4, 15), date(2026, 5, 15)]),
    ],
)
def test_anchors_of_29_30_and_mid_month(bought: date, expected: list[date]) -> None:
    assert _walk(bought, 1, 4) == expected


def test_quarterly_and_annual_cycles_keep_the_anchor_across_the_year_end() -> None:
    assert _walk(date(2026, 11, 30), 3, 4) == [
        date(2027, 2, 28),
        date(2027, 5, 30),
        date(2027, 8, 30),
        date(2027, 11, 30),
    ]
    assert _walk(date(2027, 2, 28), 12, 2) == [date(2028, 2, 28), date(2029, 2, 28)]
    assert _walk(date(2028, 2, 29), 12, 5) == [
        date(2029, 2, 28),
        date(2030, 2, 28),
        date(2031, 2, 28),
        date(2032, 2, 29),
        date(2033, 2, 28),
    ]


def test_an_anchor_that_is_no_day_of_a_month_is_refused() -> None:
    with pytest.raises(ValueError):
        months_after(date(2026, 1, 1), 1, 32)


def test_the_shops_date_is_kuala_lumpurs_not_utcs() -> None:
    late_evening_utc = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert local_date(late_evening_utc, "Asia/Kuala_Lumpur") == date(2026, 2, 1)
    assert local_date(late_evening_utc, "UTC") == date(2026, 1, 31)
    assert start_of_day(date(2026, 2, 1), "Asia/Kuala_Lumpur") == datetime(2026, 1, 31, 16, 0, tzinfo=UTC)
    assert last_day_of(date(2026, 3, 1)) == date(2026, 2, 28)
