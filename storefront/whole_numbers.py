"""Whole numbers from outside input: ASCII digits only, bounded before ``int()``.

``str.isdigit()`` and ``\\d`` also accept "²", "١٢٣" and "１２３", and ``int()`` refuses some of
those and any number longer than 4,300 digits; the database refuses numbers past its column.
Every id, page, code or timestamp read from a request, a cookie or a callback goes through here,
so odd input is a plain "not a number" and never an exception.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2_147_483_647  # the largest value of an INTEGER column: every row id


def is_ascii_digits(text: object) -> bool:
    """True when ``text`` is a non-empty string of the digits 0-9 and nothing else."""
    return isinstance(text, str) and text.isascii() and text.isdigit()


def whole_number(text: object, *, least: int = 0, most: int = MAX_ID) -> int | None:
    """Return the number ``text`` writes in ASCII digits when it lies in least..most, else None."""
    if not is_ascii_digits(text) or len(text.lstrip("0")) > len(str(most)):
        return None
    number = int(text)
    return number if least <= number <= most else None


class AsciiIntegerConverter(IntegerConverter):
    """The ``int`` URL converter, for ASCII digits only (Werkzeug's ``\\d+`` takes "١" as 1)."""

    regex = r"[0-9]+"
