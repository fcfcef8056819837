"""Money is an integer of minor units with an ISO currency; this formats it for people."""

from __future__ import annotations

CURRENCY_SYMBOLS = {"MYR": "RM", "SGD": "S$", "USD": "US$", "IDR": "Rp", "THB": "฿"}
MINOR_DIGITS = {"IDR": 0, "JPY": 0}


def format_money(amount_minor: int, currency: str = "MYR") -> str:
    """Return an amount as a person reads it, for example ``RM 12.90``."""
    digits = MINOR_DIGITS.get(currency, 2)
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    sign = "-" if amount_minor < 0 else ""
    whole, minor = divmod(abs(amount_minor), 10**digits)
    number = f"{whole:,}" + (f".{minor:0{digits}d}" if digits else "")
    return f"{sign}{symbol} {number}"
