"""The shop's billing schedule: when renewal invoices, reminders, suspension and termination fall, and
when unpaid new orders are cancelled (owners only)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField

from ..billing.schedule import ScheduleError, read_schedule, save_schedule, schedule_of
from ..extensions import db
from ..models import Reseller
from . import bp
from .auth import owner_required, record_team_action

FIELDS = (
    "renewal_days_before",
    "reminder_days",
    "suspend_after_days",
    "termination_warning_days",
    "terminate_after_days",
    "cancel_unpaid_after_days",
)


class BillingScheduleForm(FlaskForm):
    """The days of the shop's billing schedule; ``billing.schedule`` checks them together."""

    renewal_days_before = StringField("Issue the renewal invoice (days before the due date)")
    reminder_days = StringField("Send reminders (days from the due date, comma-separated; negative: before)")
    suspend_after_days = StringField("Suspend an unpaid service (days after the due date)")
    termination_warning_days = StringField("Warn before terminating (days before termination)")
    terminate_after_days = StringField("Terminate an unpaid service (days after the due date)")
    cancel_unpaid_after_days = StringField("Cancel an unpaid new order (days after it was placed)")


def _shown(reseller: Reseller) -> dict[str, str]:
    schedule = schedule_of(reseller)
    values = {name: str(getattr(schedule, name)) for name in FIELDS}
    values["reminder_days"] = ", ".join(str(day) for day in schedule.reminder_days)
    return values


@bp.route("/settings/billing", methods=["GET", "POST"])
@owner_required
def billing_settings() -> Response | tuple[str, int]:
    """Set the billing schedule every later run of the billing run follows."""
    reseller = db.session.get(Reseller, g.shop.id)
    form = BillingScheduleForm(data=_shown(reseller) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            schedule = read_schedule({name: getattr(form, name).data for name in FIELDS})
        except ScheduleError as error:
            getattr(form, error.field).errors = [*getattr(form, error.field).errors, str(error)]
        else:
            save_schedule(reseller, schedule)
            record_team_action(f"reseller:{reseller.id}", "billing_schedule", schedule.describe())
            db.session.commit()
            flash("Saved. The next billing run follows this schedule.", "success")
            return redirect(url_for("console.billing_settings"), 303)
    page = render_template("console/billing_settings.html", form=form, schedule=schedule_of(reseller))
    return page, 400 if form.errors or request.method == "POST" else 200
