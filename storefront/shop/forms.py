"""Storefront forms: one per screen; extra fields a client sends are never read."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..web.forms import PASSWORD_RULES, person_name, usable_email


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
