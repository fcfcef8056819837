"""Support settings of the shop: response targets and the escalation persona (owners only)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..branding.white_label import white_label_field
from ..extensions import db
from ..models import Reseller
from . import bp
from .auth import owner_required, record_team_action
from .brand_forms import no_control_characters


class SupportSettingsForm(FlaskForm):
    """How fast the shop promises to answer, and the name escalation answers go out under."""

    first_response_hours = IntegerField(
        "First response target (hours)", validators=[InputRequired(), NumberRange(1, 168)]
    )
    follow_up_hours = IntegerField(
        "Follow-up target (hours)", validators=[InputRequired(), NumberRange(1, 168)]
    )
    escalation_persona = StringField(
        "Escalation persona (the name customers see on escalated answers)",
        validators=[DataRequired(), Length(max=80), no_control_characters, white_label_field],
    )


@bp.route("/settings/support", methods=["GET", "POST"])
@owner_required
def support_settings() -> Response | tuple[str, int]:
    """Set the response targets that every new deadline is computed from."""
    reseller = db.session.get(Reseller, g.shop.id)
    form = SupportSettingsForm(obj=reseller)
    if form.validate_on_submit():
        reseller.first_response_hours = form.first_response_hours.data
        reseller.follow_up_hours = form.follow_up_hours.data
        reseller.escalation_persona = " ".join(form.escalation_persona.data.split())
        record_team_action(f"reseller:{reseller.id}", "settings")
        db.session.commit()
        flash("Saved. New deadlines use these targets.", "success")
        return redirect(url_for("console.support_settings"), 303)
    return render_template("console/support_settings.html", form=form), 400 if form.errors else 200
