"""Storefront forms: one per screen; extra fields a client sends are never read."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, EqualTo, InputRequired, Length
from wtforms.widgets import HiddenInput

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


REASON_MESSAGE = "Please tell us why, in 3 to 300 characters."


class AutoRenewForm(FlaskForm):
    """Turn a service's automatic renewal on or off."""

    turn = HiddenField(validators=[AnyOf(["on", "off"], "Choose to turn renewal on or off.")])


class EndAtTermForm(FlaskForm):
    """Ask for a service to end at the end of its term, saying why."""

    reason = TextAreaField(
        "Why are you leaving?", validators=[DataRequired(REASON_MESSAGE), Length(3, 300, REASON_MESSAGE)]
    )


class KeepRenewingForm(FlaskForm):
    """Withdraw a request to end at the end of the term."""


class CancelNowForm(FlaskForm):
    """Cancel a service at once, saying why."""

    reason = TextAreaField(
        "Why are you cancelling?", validators=[DataRequired(REASON_MESSAGE), Length(3, 300, REASON_MESSAGE)]
    )
    understood = BooleanField(
        "I understand the service stops today and the days left are not refunded automatically",
        validators=[DataRequired("Please tick the box to confirm you want the service to stop today.")],
    )


class ChangePlanForm(FlaskForm):
    """Confirm a move to another plan at the amounts the page showed."""

    plan = HiddenField(validators=[DataRequired("Please choose a plan."), Length(max=40)])
    current_plan = HiddenField(validators=[DataRequired("This page is out of date."), Length(max=40)])
    quoted = IntegerField(widget=HiddenInput(), validators=[InputRequired("This page is out of date.")])


class WithdrawPlanChangeForm(FlaskForm):
    """Withdraw a move to another plan that is waiting for payment."""


class BillingCycleForm(FlaskForm):
    """Choose a billing cycle from the next renewal."""

    cycle = StringField(
        "Billing cycle", validators=[DataRequired("Please choose how often to be billed."), Length(max=16)]
    )


class WithdrawCycleChangeForm(FlaskForm):
    """Keep the current billing cycle after all."""
