"""How long the shop keeps closed accounts and closed tickets (owners only)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField, ValidationError

from ..extensions import db
from ..models import Reseller, utcnow
from ..privacy.retention import MONTHS_MAX, MONTHS_MIN, preview
from . import bp
from .auth import owner_required, record_team_action

MONTHS_MESSAGE = f"Enter a whole number of months from {MONTHS_MIN} to {MONTHS_MAX}."


class MonthsField(IntegerField):
    """A whole number of months; fractions, signs, text and empty input read as no number."""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        self.data = int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else None


def whole_months(form: FlaskForm, field: MonthsField) -> None:
    """Refuse anything but a whole number of months within the allowed range."""
    if field.data is None or not MONTHS_MIN <= field.data <= MONTHS_MAX:
        raise ValidationError(MONTHS_MESSAGE)


class RetentionForm(FlaskForm):
    """How many months closed accounts and closed tickets are kept."""

    retain_closed_accounts_months = MonthsField(
        "Keep closed accounts for (months)", validators=[whole_months]
    )
    retain_closed_tickets_months = MonthsField("Keep closed tickets for (months)", validators=[whole_months])


@bp.route("/retention", methods=["GET", "POST"])
@owner_required
def retention() -> Response | tuple[str, int]:
    """Set the shop's retention, and show what the next purge would anonymise."""
    reseller = db.session.get(Reseller, g.shop.id)
    form = RetentionForm(obj=reseller)
    if form.validate_on_submit():
        accounts, tickets = form.retain_closed_accounts_months.data, form.retain_closed_tickets_months.data
        reseller.retain_closed_accounts_months, reseller.retain_closed_tickets_months = accounts, tickets
        record_team_action(
            f"reseller:{reseller.id}", "retention", f"accounts {accounts} months, tickets {tickets} months"
        )
        db.session.commit()
        flash("Saved. The next purge keeps closed accounts and tickets this long.", "success")
        return redirect(url_for("console.retention"), 303)
    page = render_template(
        "console/retention.html", form=form, reseller=reseller, due=preview(reseller, utcnow())
    )
    return page, 400 if form.errors else 200
