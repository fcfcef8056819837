"""Changing plan in the middle of a paid period: what the unused days of the old price are worth,
and what the new price costs for the days left, in integer minor units.

The period runs from the last due date up to (not including) the next one, in the shop's calendar;
the change takes effect on the day it is made, so that day counts as a day left. Each amount is
rounded half up on its own: the old price's unused days become a credit, the new price's days left a
charge, and only the difference moves — an upgrade is invoiced, a downgrade's surplus becomes account
credit, never a negative invoice. The due date stays where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


class ProrationError(ValueError):
    """A change that cannot be priced as asked; the message says why."""


@dataclass(frozen=True)
class PlanChangeQuote:
    """What changing plan on a day of a paid period moves, in minor units."""

    period_days: int
    days_left: int
    credit_minor: int  # the old price's unused days
    charge_minor: int  # the new price for the days left

    @property
    def to_invoice_minor(self) -> int:
        """What the customer pays now: the charge less the credit, never below zero."""
        return max(self.charge_minor - self.credit_minor, 0)

    @property
    def to_account_credit_minor(self) -> int:
        """What a downgrade leaves over, kept as account credit for the next invoices."""
        return max(self.credit_minor - self.charge_minor, 0)


def share_of(amount_minor: int, days: int, period_days: int) -> int:
    """Return ``amount_minor`` × days / period_days, rounded half up, in whole minor units."""
    return (2 * amount_minor * days + period_days) // (2 * period_days)


def quote_plan_change(
    old_price_minor: int, new_price_minor: int, period_start: date, next_due_on: date, on: date
) -> PlanChangeQuote:
    """Price a change from the old recurring price to the new one made on ``on``."""
    if old_price_minor < 0 or new_price_minor < 0:
        raise ProrationError("Prices cannot be negative.")
    period_days = (next_due_on - period_start).days
    if period_days <= 0:
        raise ProrationError("The service has no paid period to change within.")
    if not period_start <= on < next_due_on:
        raise ProrationError("A plan changes within the paid period, before the next due date.")
    days_left = (next_due_on - on).days
    return PlanChangeQuote(
        period_days=period_days,
        days_left=days_left,
        credit_minor=share_of(old_price_minor, days_left, period_days),
        charge_minor=share_of(new_price_minor, days_left, period_days),
    )
