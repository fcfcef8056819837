"""Email addresses: one normal form (case-folded) and one validation policy."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    """The address cannot receive mail; the message says why in plain words."""


def normalise_email(raw: str, *, allow_test_domains: bool = False) -> str:
    """Return the lower-cased, validated ASCII form of an address, or raise InvalidEmail.

    Mail headers carry ASCII addresses only: an internationalised domain is kept in its
    ``xn--`` form, and a local part outside ASCII is refused with a message.
    """
    try:
        result = validate_email(
            raw.strip(),
            check_deliverability=False,
            test_environment=allow_test_domains,
            allow_smtputf8=False,
        )
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from None
    return (result.ascii_email or result.normalized).lower()
