"""The shop's team (owners only): members, roles, removal, second-factor resets and invitations;
and accepting an invitation.

Accepting is open to whoever holds the emailed link, signed in or not. It sets the new
member's password and then sends them to the console sign-in with a message instead of
signing them in: a link alone never starts a session, and the first sign-in proves the
password works and lets the browser remember it.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, Field, PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, ValidationError

from ..branding.white_label import white_label_field
from ..extensions import db
from ..htmx import is_htmx
from ..identity import team as team_service
from ..identity.second_factor import NoSecondFactor
from ..identity.team import TeamError
from ..models import TeamMember, TeamRole, utcnow
from ..paging import page_number
from ..ratelimits import address_key, limited
from ..web.forms import PASSWORD_RULES, person_name, usable_email
from . import bp
from .auth import owner_required

MEMBER = "<int(max=2147483647):member_number>"
INVITATION = "<int(max=2147483647):invitation_number>"
ROLE_CHOICES = [("agent", "Agent: tickets and customers"), ("owner", "Owner: everything")]
# A plain field checked against the roles: the select is drawn in the template.
ROLE_RULES = [AnyOf([value for value, _ in ROLE_CHOICES], "Please choose a role: owner or agent.")]
PageAnswer = tuple[str, int]


def their_name(form: FlaskForm, field: Field) -> None:
    """Refuse an empty name or control characters; trim the rest."""
    try:
        person_name(form, field)
    except ValidationError:
        raise ValidationError("Please enter their name.") from None


class InviteForm(FlaskForm):
    """Invite someone to the team by email."""

    name = StringField(
        "Name",
        validators=[DataRequired("Please enter their name."), Length(max=120), their_name, white_label_field],
    )
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), usable_email])
    role = StringField("Role", validators=ROLE_RULES, default="agent")


class RoleForm(FlaskForm):
    """Give a member another role."""

    role = StringField("Role", validators=ROLE_RULES)


class AcceptForm(FlaskForm):
    """Join the team: confirm the name and choose a password."""

    name = StringField(
        "Your name", validators=[DataRequired(), Length(max=120), person_name, white_label_field]
    )
    password = PasswordField("Choose a password", validators=PASSWORD_RULES)
    confirm = PasswordField(
        "Repeat the password", validators=[DataRequired(), EqualTo("password", "The passwords differ.")]
    )


def _team_page(form: InviteForm, *, status: int = 200, error: str = "", notice: str = "") -> PageAnswer:
    """The team page, or just its section for htmx (which swaps only successful answers)."""
    page = team_service.team_page(g.shop, page_number(request.args.get("page")), utcnow())
    template = "console/_team.html" if is_htmx() else "console/team.html"
    context = {"team": page, "form": form, "roles": ROLE_CHOICES, "error": error, "notice": notice}
    return render_template(template, **context), 200 if is_htmx() else status


def _blank_form() -> InviteForm:
    return InviteForm(formdata=None)


def _done(message: str) -> Response | PageAnswer:
    """After a change: the refreshed section for htmx, else back to the page with a message."""
    if is_htmx():
        return _team_page(_blank_form(), notice=message)
    flash(message, "success")
    return redirect(url_for("console.team"), 303)


def _member(number: int) -> TeamMember:
    member = team_service.find_member(g.shop, number)
    if member is None:
        abort(404)
    return member


@bp.get("/team")
@owner_required
def team() -> PageAnswer:
    """Active members with their roles, open invitations, and the invite form."""
    return _team_page(InviteForm())


@bp.post("/team/invite")
@owner_required
def invite() -> Response | PageAnswer:
    """Email an invitation to join the team."""
    form = InviteForm()
    if not form.validate():
        return _team_page(form, status=400)
    try:
        team_service.invite(g.shop, current_user, form.name.data, form.email.data, TeamRole(form.role.data))
    except TeamError as error:
        db.session.rollback()
        return _team_page(form, status=400, error=str(error))
    return _done(f"Invitation sent to {form.email.data}.")


@bp.post(f"/team/invitations/{INVITATION}/revoke")
@owner_required
def revoke_invitation(invitation_number: int) -> Response | PageAnswer:
    """Withdraw an invitation; its link stops working at once."""
    try:
        invitation = team_service.revoke_invitation(g.shop, current_user, invitation_number)
    except TeamError as error:
        db.session.rollback()
        return _team_page(_blank_form(), status=400, error=str(error))
    if invitation is None:
        abort(404)
    return _done(f"The invitation to {invitation.email} is withdrawn.")


@bp.route(f"/team/members/{MEMBER}/remove", methods=["GET", "POST"])
@owner_required
def remove_member(member_number: int) -> Response | PageAnswer:
    """Ask to confirm, then take the member off the team and end their sessions."""
    member = _member(member_number)
    if request.method == "GET":
        return render_template("console/team_remove.html", member=member), 200
    try:
        team_service.remove_member(g.shop, current_user, member)
    except TeamError as error:
        db.session.rollback()
        return render_template("console/team_remove.html", member=member, error=str(error)), 400
    return _done(f"{member.name} is off the team and signed out everywhere.")


@bp.post(f"/team/members/{MEMBER}/role")
@owner_required
def change_member_role(member_number: int) -> Response | PageAnswer:
    """Make a member an owner or an agent; the last owner stays an owner."""
    member = _member(member_number)
    form = RoleForm()
    if not form.validate():
        return _team_page(_blank_form(), status=400, error="Please choose a role: owner or agent.")
    try:
        team_service.change_role(g.shop, current_user, member, TeamRole(form.role.data))
    except TeamError as error:
        db.session.rollback()
        return _team_page(_blank_form(), status=400, error=str(error))
    if current_user.role != TeamRole.OWNER:
        flash("You are an agent now, so the team page is closed to you.", "success")
        return redirect(url_for("console.tickets"), 303)
    return _done(f"{member.name} is now {'an owner' if member.role == TeamRole.OWNER else 'an agent'}.")


@bp.post(f"/team/members/{MEMBER}/second-factor/reset")
@owner_required
def reset_member_second_factor(member_number: int) -> Response | PageAnswer:
    """Take the second factor off a member who lost both their phone and their recovery codes.

    Their sessions end; they sign in again with their password and set up a new factor.
    """
    member = _member(member_number)
    try:
        team_service.reset_second_factor(g.shop, current_user, member)
    except (TeamError, NoSecondFactor) as error:
        db.session.rollback()
        status = 409 if isinstance(error, NoSecondFactor) else 400
        return _team_page(_blank_form(), status=status, error=str(error))
    return _done(
        f"The second factor of {member.name} is reset and they are signed out. They can sign in "
        "with their password alone and set up a new one on their security page."
    )


def _invalid_invitation() -> PageAnswer:
    return render_template("console/invitation.html", invitation=None), 404


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limited("RATELIMIT_SIGN_IN_PER_ADDRESS", address_key, failures_only=True)
def accept_invitation(token: str) -> Response | PageAnswer:
    """Accept an emailed invitation by choosing a password; a dead link changes nothing."""
    invitation = team_service.find_open_invitation(g.shop, token)
    if invitation is None:
        return _invalid_invitation()
    form = AcceptForm(name=invitation.name)
    if form.validate_on_submit():
        member = team_service.accept_invitation(g.shop, token, form.name.data, form.password.data)
        if member is None:
            return _invalid_invitation()
        flash(
            f"Welcome to the team, {member.name}. Sign in with {member.email} and your new password.",
            "success",
        )
        return redirect(url_for("console.login"))  # a 302, which the rate limit does not count
    return render_template("console/invitation.html", invitation=invitation, form=form), (
        400 if form.errors else 200
    )
