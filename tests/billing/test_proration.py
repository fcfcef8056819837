"""Changing plan mid-period: the old price's unused days are credited, the new price's days left charged."""

from __future__ import annotations

from datetime import date

import pytest

from storefront.billing.proration import ProrationError, quote_plan_change, share_of


def test_an_upgrade_halfway_through_a_month_charges_half_the_difference() -> None:
    # April has 30 days; on 16 April 15 days are left of the period 1 Apr – 30 Apr.
    quote = quote_plan_change(3000, 6000, date(2027, 4, 1), date(2027, 5, 1), date(2027, 4, 16))
    assert (quote.period_days, quote.days_left) == (30, 15)
    assert (quote.credit_minor, quote.charge_minor) == (1500, 3000)
    assert (quote.to_invoice_minor, quote.to_account_credit_minor) == (1500, 0)


def test_a_downgrade_leaves_account_credit_and_never_a_negative_invoice() -> None:
    quote = quote_plan_change(6000, 3000, date(2027, 4, 1), date(2027, 5, 1), date(2027, 4, 16))
    assert (quote.to_invoice_minor, quote.to_account_credit_minor) == (0, 1500)


def test_the_first_day_moves_the_whole_difference_and_the_last_day_one_days_worth() -> None:
    first = quote_plan_change(1000, 2500, date(2027, 2, 28), date(2027, 3, 28), date(2027, 2, 28))
    assert (first.days_left, first.to_invoice_minor) == (28, 1500)
    last = quote_plan_change(1000, 2500, date(2027, 2, 28), date(2027, 3, 28), date(2027, 3, 27))
    assert (last.days_left, last.credit_minor, last.charge_minor) == (1, 36, 89)


def test_a_yearly_period_counts_its_leap_day() -> None:
    quote = quote_plan_change(36600, 73200, date(2028, 1, 1), date(2029, 1, 1), date(2028, 7, 2))
    assert (quote.period_days, quote.days_left) == (366, 183)
    assert (quote.credit_minor, quote.charge_minor) == (18300, 36600)


@pytest.mark.parametrize(
    ("amount", "days", "period", "expected"),
    [(1000, 1, 3, 333), (1000, 2, 3, 667), (1, 1, 2, 1), (1, 1, 3, 0), (0, 5, 30, 0), (999, 30, 30, 999)],
)
def test_shares_round_half_up_in_whole_sen(amount: int, days: int, period: int, expected: int) -> None:
    assert share_of(amount, days, period) == expected


@pytest.mark.parametrize(
    ("start", "due", "on", "message"),
    [
        (date(2027, 4, 1), date(2027, 5, 1), date(2027, 5, 1), "before the next due date"),
        (date(2027, 4, 1), date(2027, 5, 1), date(2027, 3, 31), "within the paid period"),
        (date(2027, 4, 1), date(2027, 4, 1), date(2027, 4, 1), "no paid period"),
    ],
)
def test_a_change_outside_the_paid_period_is_refused(start: date, due: date, on: date, message: str) -> None:
    with pytest.raises(ProrationError, match=message):
        quote_plan_change(1000, 2000, start, due, on)
