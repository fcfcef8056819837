"""The forms of the services screens and of cancelling an order: each checked here for what was sent,
then by the billing verbs for what it means."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired

from ..billing.shop_actions import REASON_RULE


class ReasonForm(FlaskForm):
    """Suspend or terminate a service, or cancel an order: the reason the customer is emailed."""

    reason = TextAreaField("Reason", validators=[InputRequired(REASON_RULE)])


class UnsuspendForm(FlaskForm):
    """Lift the shop's suspension of a service, with a note for its history if wanted."""

    reason = TextAreaField("Note for the history (optional)")


class PriceChangeForm(FlaskForm):
    """Move a service to a new recurring price from a date at least 30 days ahead."""

    amount = StringField("New price", validators=[InputRequired("Enter the new price, for example 29.90.")])
    applies_from = StringField(
        "Applies from", validators=[InputRequired("Enter the date the new price applies from.")]
    )
