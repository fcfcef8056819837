"""Team sign-in and sign-out; every console page needs a team member of this shop."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import audit
from ..extensions import db
from ..models import TeamMember, TeamRole
from ..models.account import verified
from ..ratelimits import address_key, email_key, limited
from ..web.forms import LoginForm, safe_next
from ..web.second_factor import begin_code_step
from . import bp


@bp.before_request
def require_shop_host() -> None:
    """The console lives on a shop's host only."""
    if g.get("shop") is None:
        abort(404)


def team_required(view: Callable) -> Callable:
    """Send anyone who is not signed in as this shop's team member to the console sign-in."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not isinstance(current_user._get_current_object(), TeamMember):
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return guarded


def owner_required(view: Callable) -> Callable:
    """Only the shop's owners may open this page; an agent gets 403."""

    @wraps(view)
    @team_required
    def guarded(*args, **kwargs):
        if current_user.role != TeamRole.OWNER:
            abort(403)
        return view(*args, **kwargs)

    return guarded


def record_team_action(subject: str, action: str, reason: str = "", customer_id: int | None = None) -> None:
    """Write what the signed-in team member did to ``subject`` to the audit log; the caller commits.

    ``customer_id`` names the customer whose data was seen or changed, for their access log.
    """
    audit.record(
        f"team:{current_user.id}", current_user.role.value, g.shop.id, subject, action, reason, customer_id
    )


def record_team_list(subject: str, customer_ids: Iterable[int | None], reason: str = "") -> None:
    """Audit a list page the signed-in team member saw, and each customer on it; the caller commits."""
    shown = ((g.shop.id, customer_id) for customer_id in customer_ids)
    audit.record_list(f"team:{current_user.id}", current_user.role.value, g.shop.id, subject, shown, reason)


def _authenticate(email: str, password: str) -> TeamMember | None:
    member = db.session.scalar(
        select(TeamMember).where(
            TeamMember.reseller_id == g.shop.id, TeamMember.email == email, TeamMember.removed_at.is_(None)
        )
    )
    return verified(member, password)


def sign_in(member: TeamMember) -> Response:
    """Start a fresh session for a member who proved who they are, and go on to where they were headed."""
    session.clear()
    login_user(member)
    return redirect(safe_next(url_for("console.tickets")))


@bp.route("/login", methods=["GET", "POST"])
@limited("RATELIMIT_SIGN_IN_PER_EMAIL", email_key, failures_only=True)
@limited("RATELIMIT_SIGN_IN_PER_ADDRESS", address_key, failures_only=True)
def login() -> Response | tuple[str, int]:
    """Sign a team member in to the console."""
    form = LoginForm()
    if form.validate_on_submit():
        member = _authenticate(form.email.data, form.password.data)
        if member is not None and member.has_second_factor:
            return begin_code_step(member, url_for("console.login_code", next=request.values.get("next")))
        if member is not None:
            return sign_in(member)
        form.password.errors.append("That email and password do not match a team account of this shop.")
    return render_template("console/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
def logout() -> Response:
    """Sign out, ending this team account's sessions everywhere."""
    if isinstance(current_user._get_current_object(), TeamMember):
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("console.login"))
