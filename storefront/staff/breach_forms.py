"""The forms of the breach register: recording a breach, and the Commissioner's notification."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, Field, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..branding.white_label import white_label_field
from ..models import utcnow
from ..privacy.breaches import BreachDetails
from .disclosure_forms import EARLIEST_YEAR, form_problems, one_line, printable_text, shop_options, strip
from .local_time import staff_zone

MOMENT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
EMAIL_LINES_MAX = 5000
# datetime-local inputs stop at the minute: the current minute is not the future.
CLOCK_SLACK = timedelta(minutes=1)


def plausible_past(form: FlaskForm, field: Field) -> None:
    """A moment from 1990 up to now (the current minute included)."""
    if field.data and field.data.year < EARLIEST_YEAR:
        raise ValidationError(f"Enter a date from {EARLIEST_YEAR} on.")
    if field.data and field.data > utcnow() + CLOCK_SLACK:
        raise ValidationError("This cannot be in the future.")


def moment(label: str, *validators: object) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        [*validators, plausible_past],
        format=MOMENT_FORMATS,
        tz=staff_zone,
        invalid_value_message="Enter a date and time, for example 2026-03-01T14:30.",
    )


def notice_text(label: str, what: str, length: int) -> TextAreaField:
    checks = [DataRequired(f"Enter {what}."), printable_text, white_label_field, Length(max=length)]
    return TextAreaField(label, checks, filters=[strip])


class BreachForm(FlaskForm):
    """Record a personal-data breach: when, what, which shops, which customers."""

    title = StringField(
        "Title (for staff; customers do not see it)",
        [DataRequired("Enter a title."), printable_text, Length(max=200)],
        filters=[one_line],
    )
    occurred_at = moment("When it happened (optional)", Optional())
    discovered_at = moment("When it was discovered", InputRequired("Enter when the breach was discovered."))
    scope = notice_text("What happened", "what happened and how far it reached", 5000)
    data_categories = notice_text("Which data", "which kinds of personal data were affected", 500)
    measures = notice_text("What was done, and what customers should do", "what was done", 5000)
    shops = SelectMultipleField(
        "Affected shops",
        coerce=int,
        choices=shop_options,
        invalid_value_message="Choose the shops from the list.",
        invalid_choice_message="Choose the shops from the list.",
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    customers = RadioField(
        "Affected customers",
        choices=[
            SelectChoice("all", "All customers of the selected shops"),
            SelectChoice("listed", "Only the customers listed below"),
        ],
        default="all",
        invalid_choice_message="Choose all customers of the shops, or only those listed.",
    )
    emails = TextAreaField("Customer emails, one per line", [Length(max=EMAIL_LINES_MAX * 100)])

    def validate_shops(self, field: Field) -> None:
        if not field.data:
            raise ValidationError("Choose at least one affected shop.")

    def validate_occurred_at(self, field: Field) -> None:
        found = self.discovered_at.data
        if field.data and found and field.data > found:
            raise ValidationError("A breach cannot have happened after it was discovered.")

    def validate_emails(self, field: Field) -> None:
        lines = self.email_lines()
        if self.customers.data == "listed" and not lines:
            raise ValidationError("List at least one customer email, or choose all customers of the shops.")
        if len(lines) > EMAIL_LINES_MAX:
            raise ValidationError(f"List at most {EMAIL_LINES_MAX} emails at a time.")

    def email_lines(self) -> list[str]:
        """Return the non-empty lines of the email list, trimmed."""
        return [line.strip() for line in (self.emails.data or "").splitlines() if line.strip()]

    def details(self) -> BreachDetails:
        """Return the checked values (after validate())."""
        return BreachDetails(
            title=self.title.data,
            occurred_at=self.occurred_at.data,
            discovered_at=self.discovered_at.data,
            scope=self.scope.data,
            data_categories=self.data_categories.data,
            measures=self.measures.data,
        )

    def listed_emails(self) -> list[str] | None:
        """Return the listed emails, or None when every customer of the shops is affected."""
        return self.email_lines() if self.customers.data == "listed" else None

    def problems(self) -> list[str]:
        """Return every message, each naming its field."""
        return form_problems(self)


class CommissionerForm(FlaskForm):
    """Record that the Commissioner was told of the breach: when (default now) and their reference."""

    notified_at = moment("Notified at (leave empty for now)", Optional())
    reference = StringField(
        "The Commissioner's reference (optional)",
        [Optional(), printable_text, Length(max=120)],
        filters=[one_line],
    )

    def moment(self, discovered_at: datetime) -> datetime:
        """Return when the Commissioner was told, or raise ValueError if that is before the discovery."""
        at = self.notified_at.data or utcnow()
        if at < discovered_at.replace(second=0, microsecond=0):
            raise ValueError("The Commissioner cannot have been told before the breach was discovered.")
        return at

    def problems(self) -> list[str]:
        """Return every message, each naming its field."""
        return form_problems(self)
