"""Email addresses: one normal form (case-folded) and one validation policy."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    """The address cannot receive mail; the message says why in plain words."""


def normalise_email(raw: str, *, allow_test_domains: bool = False) -> str:
    """Return the lower-cased, validated form of an address, or raise InvalidEmail."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False, test_environment=allow_test_domains)
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from None
    return result.normalized.lower()
