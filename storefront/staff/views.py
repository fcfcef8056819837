"""Staff sign-in, the desk's home and the shop overview."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ..identity.staff import authenticate_staff, end_staff_sessions, shop_overview
from ..models import StaffUser, utcnow
from ..ratelimits import address_key, email_key, limited
from ..reporting.desk import escalation_counts, waiting_work
from ..support.escalation_screen import ESCALATION_DESK
from ..web.second_factor import begin_code_step
from . import bp
from .forms import StaffLoginForm
from .local_time import staff_time
from .roles import ADMIN_DESK, BILLING_DESK, role_required


@bp.before_request
def require_staff_host() -> None:
    """Staff routes exist only on the staff host."""
    if not g.is_staff_host:
        abort(404)


def sign_in(staff: StaffUser) -> Response:
    """Start a fresh session (nothing from before sign-in carries over) and open the staff console."""
    session.clear()
    login_user(staff)
    return redirect(url_for("staff.index"))


@bp.route("/login", methods=["GET", "POST"])
@limited("RATELIMIT_SIGN_IN_PER_EMAIL", email_key, failures_only=True)
@limited("RATELIMIT_SIGN_IN_PER_ADDRESS", address_key, failures_only=True)
def login() -> str | Response:
    """Sign a platform employee in."""
    form = StaffLoginForm()
    if form.validate_on_submit():
        staff = authenticate_staff(form.email.data, form.password.data)
        if staff is not None and staff.has_second_factor:
            return begin_code_step(staff, url_for("staff.login_code"))
        if staff is not None:
            return sign_in(staff)
        flash("That email and password do not match an active staff account.", "error")
    status = 400 if form.errors else 200
    return render_template("staff/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Sign out, ending every session of this account."""
    end_staff_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    return redirect(url_for("staff.login"))


@bp.get("/")
@login_required
def index() -> str:
    """The desk's home: the escalation queue's counts for support, the work waiting for billing."""
    now = utcnow()
    escalations = escalation_counts(now) if current_user.role in ESCALATION_DESK else None
    waiting = waiting_work() if current_user.role in BILLING_DESK else None
    return render_template("staff/home.html", escalations=escalations, waiting=waiting, when=staff_time)


@bp.get("/shops")
@role_required(*ADMIN_DESK)
def shops() -> str:
    """The platform's shops at a glance: brand, theme, hosts, offers (admins only)."""
    return render_template("staff/index.html", shops=shop_overview(), staff=current_user)
