"""Forms of the privacy centre; extra fields a client sends are never read."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from ..privacy.privacy_centre import DETAILS_MAX, DETAILS_MIN, DETAILS_RULE, RECORD_RULE


class ConsentForm(FlaskForm):
    """Give (yes) or withdraw (no) consent to the shop's marketing."""

    granted = StringField("Marketing", validators=[AnyOf(["yes", "no"], "Please answer yes or no.")])


class CorrectionForm(FlaskForm):
    """Ask the shop to correct a record the customer cannot edit."""

    record = SelectField("What is it about?", validators=[DataRequired(RECORD_RULE)], validate_choice=False)
    details = TextAreaField(
        "What is wrong, and what should it say?",
        validators=[
            DataRequired(DETAILS_RULE),
            Length(min=DETAILS_MIN, max=DETAILS_MAX, message=DETAILS_RULE),
        ],
    )

    def offer(self, choices: dict[str, str]) -> CorrectionForm:
        """Offer the customer's own records, after a prompt."""
        self.record.choices = [("", "Choose a record"), *choices.items()]
        return self


class CloseAccountForm(FlaskForm):
    """Close the account; the current password confirms it is really the customer."""

    password = PasswordField("Your password", validators=[DataRequired("Please enter your password.")])
