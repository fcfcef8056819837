"""Form pieces every audience signs in with: email and name checks, password rules, the sign-in
form, and the ``next`` page a sign-in returns to."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from flask_wtf import FlaskForm
from wtforms import EmailField, Field, PasswordField
from wtforms.validators import DataRequired, Length, ValidationError

from ..addresses import InvalidEmail, normalise_email

PASSWORD_RULES = [DataRequired(), Length(min=10, max=200, message="Use 10 to 200 characters.")]


def usable_email(form: FlaskForm, field: Field) -> None:
    """Validate an email address and replace it with its normal form."""
    try:
        field.data = normalise_email(
            field.data or "", allow_test_domains=current_app.config["EMAIL_ALLOW_TEST_DOMAINS"]
        )
    except InvalidEmail as error:
        raise ValidationError(f"Please enter a valid email address. {error}") from None


def person_name(form: FlaskForm, field: Field) -> None:
    """Refuse control characters in a name; trim the rest."""
    field.data = " ".join((field.data or "").split())
    if any(ord(char) < 32 for char in field.data) or not field.data:
        raise ValidationError("Please enter your name.")


class LoginForm(FlaskForm):
    """Sign in with an email address and password (the shop and the console)."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254), usable_email])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


def safe_next(default: str) -> str:
    """Return the ``next`` path when it stays on this shop, else ``default``.

    Control characters are refused too: URL parsing ignores tabs and line breaks, and a
    ``Location`` header cannot carry them.
    """
    target = request.values.get("next", "")
    parts = urlsplit(target)
    if (
        not target.startswith("/")
        or target.startswith("//")
        or parts.scheme
        or parts.netloc
        or "\\" in target
        or not target.isprintable()
    ):
        return default
    return target
