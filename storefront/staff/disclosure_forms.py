"""The form staff fill in to record a disclosure of one customer's data."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import DateField, Field, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..branding.white_label import white_label_field
from ..models import LegalBasis
from ..privacy.disclosures import LEGAL_BASIS_LABELS, DisclosureDetails
from ..support.escalation_screen import shop_choices
from .local_time import staff_zone

EARLIEST_YEAR = 1990


def strip(value: object) -> object:
    """Trim surrounding white space from submitted text."""
    return value.strip() if isinstance(value, str) else value


def one_line(value: object) -> object:
    """Collapse runs of white space, line breaks included, to single spaces."""
    return " ".join(value.split()) if isinstance(value, str) else value


def printable_text(form: FlaskForm, field: Field) -> None:
    """Refuse invisible control characters; line breaks and tabs are fine in longer text."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in field.data or ""):
        raise ValidationError("Remove the invisible control characters from this text.")


def shop_options() -> list[SelectChoice]:
    """Every shop by name, as a form's choices: the only list staff choose a customer through."""
    return [SelectChoice(shop_id, name) for shop_id, name in shop_choices()]


def form_problems(form: FlaskForm) -> list[str]:
    """Return every message of a validated form, each led by its field's label."""
    return [
        f"{form[name].label.text}: {message}" for name, errors in form.errors.items() for message in errors
    ]


def required(what: str) -> list:
    return [DataRequired(f"Enter {what}."), printable_text]


class DisclosureForm(FlaskForm):
    """Record one disclosure: the customer by shop and exact email, to whom, what, why, on what basis."""

    shop = SelectField(
        "Shop",
        coerce=int,
        choices=shop_options,
        invalid_value_message="Choose a shop from the list.",
        invalid_choice_message="Choose a shop from the list.",
    )
    customer_email = StringField(
        "Customer's email address", [DataRequired("Enter the customer's email address."), Length(max=254)]
    )
    recipient = StringField(
        "Disclosed to",
        [*required("who the data went to"), white_label_field, Length(max=200)],
        filters=[one_line],
    )
    data_disclosed = TextAreaField(
        "Data disclosed",
        [*required("which data was disclosed"), white_label_field, Length(max=500)],
        filters=[strip],
    )
    purpose = TextAreaField(
        "Purpose", [*required("why it was disclosed"), white_label_field, Length(max=500)], filters=[strip]
    )
    legal_basis = SelectField(
        "Legal basis",
        choices=[SelectChoice(basis.value, label) for basis, label in LEGAL_BASIS_LABELS.items()],
        invalid_choice_message="Choose a legal basis from the list.",
    )
    reference = StringField(
        "Reference (optional)",
        [Optional(), printable_text, white_label_field, Length(max=120)],
        filters=[one_line],
    )
    disclosed_on = DateField(
        "Disclosed on",
        [InputRequired("Enter the date of the disclosure.")],
        format="%Y-%m-%d",
        invalid_value_message="Enter the date as YYYY-MM-DD.",
    )

    def validate_disclosed_on(self, field: Field) -> None:
        if field.data and field.data.year < EARLIEST_YEAR:
            raise ValidationError(f"Enter a date from {EARLIEST_YEAR} on.")
        if field.data and field.data > datetime.now(staff_zone()).date():
            raise ValidationError("The date of a disclosure cannot be in the future.")

    def details(self) -> DisclosureDetails:
        """Return the checked values (after validate())."""
        return DisclosureDetails(
            recipient=self.recipient.data,
            data=self.data_disclosed.data,
            purpose=self.purpose.data,
            legal_basis=LegalBasis(self.legal_basis.data),
            reference=self.reference.data or "",
            disclosed_on=self.disclosed_on.data,
        )

    def problems(self) -> list[str]:
        """Return every message, each naming its field."""
        return form_problems(self)
