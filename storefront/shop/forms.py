"""Storefront forms: one per screen; extra fields a client sends are never read."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

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


class SignUpForm(FlaskForm):
    """Open an account: only what an order needs."""

    name = StringField("Full name", validators=[DataRequired(), Length(max=120), person_name])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), usable_email])
    password = PasswordField("Password", validators=PASSWORD_RULES)
    privacy_notice = BooleanField(
        "I have read the privacy notice",
        validators=[DataRequired("Please read the privacy notice and tick the box to say you have.")],
    )


class NoticeForm(FlaskForm):
    """A returning customer says they have read the new version of the privacy notice."""


class LoginForm(FlaskForm):
    """Sign in to the shop."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254), usable_email])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class ResetRequestForm(FlaskForm):
    """Ask for a password reset link."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254), usable_email])


class ResetForm(FlaskForm):
    """Choose a new password with a reset link."""

    password = PasswordField("New password", validators=PASSWORD_RULES)
    confirm = PasswordField(
        "Repeat the new password", validators=[DataRequired(), EqualTo("password", "The passwords differ.")]
    )


class ProfileForm(FlaskForm):
    """The customer's own details."""

    name = StringField("Full name", validators=[DataRequired(), Length(max=120), person_name])


class PasswordForm(FlaskForm):
    """Change the password while signed in."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("New password", validators=PASSWORD_RULES)
    confirm = PasswordField(
        "Repeat the new password", validators=[DataRequired(), EqualTo("password", "The passwords differ.")]
    )
