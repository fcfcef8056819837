"""Retail prices: reading amounts people type, checking them against wholesale, and the margin."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..models import BillingCycle
from ..money import MINOR_DIGITS, format_money

MAX_PRICE_UNITS = 10_000_000  # the largest price a shop may ask, in whole currency units
_WHOLE = r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+"
_AMOUNT = re.compile(rf"(?P<whole>{_WHOLE})(?:\.(?P<fraction>[0-9]+))?")
_TOO_LONG = 40


class PriceError(ValueError):
    """An amount that cannot be accepted as a price; the message tells a person why."""


def parse_money(text: str, currency: str = "MYR") -> int:
    """Return the minor units of an amount typed like ``12.90``, ``12`` or ``1,200.00``."""
    digits = MINOR_DIGITS.get(currency, 2)
    cleaned = text.strip()
    if cleaned.startswith("-"):
        raise PriceError("A price cannot be negative.")
    match = _AMOUNT.fullmatch(cleaned) if len(cleaned) <= _TOO_LONG else None
    if match is None:
        raise PriceError("Please enter the price as a number, for example 12.90.")
    fraction = match["fraction"] or ""
    if len(fraction) > digits:
        raise PriceError(f"A price has at most {digits} decimal places." if digits else "Use whole numbers.")
    amount = int(match["whole"].replace(",", "")) * 10**digits + int(fraction.ljust(digits, "0") or 0)
    if amount > MAX_PRICE_UNITS * 10**digits:
        raise PriceError(f"A price can be at most {format_money(MAX_PRICE_UNITS * 10**digits, currency)}.")
    return amount


def decimal_text(amount_minor: int, currency: str = "MYR") -> str:
    """Return minor units as a plain decimal number, for example ``1290`` as ``12.90``."""
    digits = MINOR_DIGITS.get(currency, 2)
    sign = "-" if amount_minor < 0 else ""
    whole, minor = divmod(abs(amount_minor), 10**digits)
    return f"{sign}{whole}" + (f".{minor:0{digits}d}" if digits else "")


@dataclass(frozen=True)
class Margin:
    """What a shop keeps of a sale: the amount, and its share of the retail price in percent."""

    amount_minor: int
    currency: str
    percent: Decimal


def margin_of(retail_minor: int, wholesale_minor: int, currency: str) -> Margin:
    """Return the margin of a retail price over wholesale."""
    amount = retail_minor - wholesale_minor
    share = Decimal(100 * amount) / retail_minor if retail_minor else Decimal(0)
    return Margin(amount, currency, share.quantize(Decimal("0.1"), ROUND_HALF_UP))


@dataclass
class PriceCell:
    """One price a shop sets: the form field, the wholesale cost, and what the owner typed or saved."""

    key: str
    wholesale_minor: int
    currency: str
    text: str = ""
    amount_minor: int | None = None
    error: str | None = None
    cycle: BillingCycle | None = None

    @property
    def margin(self) -> Margin | None:
        """The margin of a valid price; None for an empty or refused one."""
        if self.amount_minor is None or self.error:
            return None
        return margin_of(self.amount_minor, self.wholesale_minor, self.currency)


def read_price(cell: PriceCell, text: str, wholesale_currency: str, *, free: bool = True) -> PriceCell:
    """Fill a cell from what was typed: empty means not sold; a price below wholesale is refused.

    ``free=False`` also refuses zero: an order of nothing could never be paid, so never fulfilled.
    """
    cell.text = text.strip()[:_TOO_LONG]
    if not cell.text:
        return cell
    try:
        amount = parse_money(cell.text, cell.currency)
        if amount == 0 and not free:
            raise PriceError("A plan's price must be more than zero; leave it empty to stop selling it.")
        if wholesale_currency != cell.currency:
            raise PriceError(
                f"The wholesale price is in {wholesale_currency}; this shop sells in {cell.currency}."
            )
        if amount < cell.wholesale_minor:
            raise PriceError(
                f"{format_money(amount, cell.currency)} is below the wholesale price of "
                f"{format_money(cell.wholesale_minor, cell.currency)}."
            )
    except PriceError as error:
        cell.error = str(error)
    else:
        cell.amount_minor = amount
    return cell


def show_saved(cell: PriceCell, amount_minor: int | None) -> PriceCell:
    """Fill a cell with a saved price (None: not sold)."""
    if amount_minor is not None:
        cell.amount_minor, cell.text = amount_minor, decimal_text(amount_minor, cell.currency)
    return cell
