"""The forms of credit notes, refunds and account credit: one per screen, checked before the services."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..commerce.account_credit import CreditError, parse_amount
from ..commerce.credit_notes import CreditableLine, CreditRequest

REASON_RULE = "Give a reason the customer can read (3 to 300 characters)."


class CreditNoteForm(FlaskForm):
    """Issue a credit note: an amount for each line to credit, the reason, and what the money becomes."""

    reason = TextAreaField("Reason", validators=[InputRequired(REASON_RULE), Length(3, 300, REASON_RULE)])
    outcome = RadioField(
        "The credited money becomes",
        choices=[
            SelectChoice("account_credit", "Account credit for the customer"),
            SelectChoice("refund", "A refund to make"),
        ],
        validators=[InputRequired("Choose what the credit becomes: account credit or a refund.")],
    )
    idempotency_key = HiddenField()

    def credit_request(self, lines: list[CreditableLine], currency: str) -> CreditRequest:
        """Return what was asked, each line's amount read from ``amount-<position>`` (blank: not credited)."""
        amounts, errors = {}, {}
        for item in lines:
            raw = request.form.get(f"amount-{item.line.position}", "")[:40].strip()
            if not raw:
                continue
            try:
                amounts[item.line.position] = parse_amount(raw, currency)
            except CreditError as error:
                errors[item.line.position] = str(error)
        return CreditRequest(
            amounts=amounts,
            reason=self.reason.data or "",
            outcome=self.outcome.data or "",
            idempotency_key=self.idempotency_key.data or "",
            line_errors=errors,
        )


class CreditRefundForm(FlaskForm):
    """Record the refund a credit note asked for: how the money went back and its reference."""

    method = RadioField(
        "Refunded by",
        choices=[SelectChoice("bank_transfer", "Bank transfer"), SelectChoice("gateway", "Card gateway")],
        validators=[InputRequired("Choose how the money went back: bank transfer or card gateway.")],
    )
    reference = StringField("Refund reference", validators=[InputRequired("Enter the refund's reference.")])


class CreditAdjustmentForm(FlaskForm):
    """Add to or take from a customer's account credit by hand, with the reason."""

    direction = RadioField(
        "Adjustment",
        choices=[SelectChoice("add", "Add credit"), SelectChoice("take", "Take credit away")],
        validators=[InputRequired("Choose whether to add credit or take it away.")],
    )
    amount = StringField("Amount", validators=[InputRequired("Enter the amount, for example 12.90.")])
    reason = TextAreaField("Reason", validators=[InputRequired(REASON_RULE), Length(3, 300, REASON_RULE)])


def first_problem(form: FlaskForm) -> str:
    """Return the first message of a form that did not validate."""
    for errors in form.errors.values():
        if errors:
            return errors[0] if isinstance(errors[0], str) else "Please check the form."
    return "Please check the form."
