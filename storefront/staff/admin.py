"""The admin desk: staff accounts with their roles (shops are in shops, plans in plans).

Every change to a staff account is audited. Nobody changes their own role or deactivates
themselves, and the last active admin stays an active admin.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, Field, PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from ..extensions import db
from ..identity import staff as staff_service
from ..identity.second_factor import NoSecondFactor
from ..identity.staff import LastAdmin, StaffChangeRefused, StaffExists
from ..models import StaffRole, StaffUser
from ..web.forms import usable_email
from . import bp
from .roles import ADMIN_DESK, role_required

STAFF_ID = "<int(max=2147483647):staff_id>"
ROLE_CHOICES = [
    ("support", "Support: escalations and triage"),
    ("billing", "Billing: orders, payments and provisioning"),
    ("admin", "Admin: shops, plans, staff and the audit log"),
]
ROLE_RULES = [AnyOf([value for value, _ in ROLE_CHOICES], "Please choose a role: support, billing or admin.")]
PageAnswer = tuple[str, int]


def staff_name(form: FlaskForm, field: Field) -> None:
    """Refuse an empty name or control characters; squeeze spaces."""
    field.data = " ".join((field.data or "").split())
    if not field.data or any(ord(char) < 32 for char in field.data):
        raise ValidationError("Please enter their name.")


class AddStaffForm(FlaskForm):
    """Open a staff account with a role and a first password."""

    name = StringField(
        "Name", validators=[DataRequired("Please enter their name."), Length(max=120), staff_name]
    )
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), usable_email])
    role = StringField("Role", validators=ROLE_RULES, default="support")
    password = PasswordField(
        "First password",
        validators=[DataRequired(), Length(min=12, max=200, message="Use 12 to 200 characters.")],
    )


class StaffRoleForm(FlaskForm):
    """Give a staff account another role."""

    role = StringField("Role", validators=ROLE_RULES)


def _staff_page(form: AddStaffForm | None = None, *, status: int = 200, error: str = "") -> PageAnswer:
    page = render_template(
        "staff/admin_staff.html",
        accounts=staff_service.staff_accounts(),
        form=form or AddStaffForm(formdata=None),
        roles=ROLE_CHOICES,
        error=error,
    )
    return page, status


def _me() -> StaffUser:
    return current_user._get_current_object()


def _target(staff_id: int) -> StaffUser:
    target = staff_service.find_staff(staff_id)
    if target is None:
        abort(404)
    return target


def _refused(error: StaffChangeRefused | NoSecondFactor) -> PageAnswer:
    db.session.rollback()
    conflict = isinstance(error, LastAdmin | NoSecondFactor)
    return _staff_page(status=409 if conflict else 400, error=str(error))


def _back(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("staff.staff_accounts"), 303)


@bp.get("/staff")
@role_required(*ADMIN_DESK)
def staff_accounts() -> PageAnswer:
    """Every staff account with its role, whether it is active and whether it uses a second factor."""
    return _staff_page()


@bp.post("/staff")
@role_required(*ADMIN_DESK)
def add_staff() -> Response | PageAnswer:
    """Open a staff account; a used email or a short password is refused with a message."""
    form = AddStaffForm()
    if not form.validate():
        return _staff_page(form, status=400, error="Please correct the marked fields.")
    try:
        added = staff_service.create_staff_by(
            _me(), form.email.data, form.name.data, form.password.data, StaffRole(form.role.data)
        )
    except StaffExists:
        db.session.rollback()
        return _staff_page(form, status=400, error=f"A staff account for {form.email.data} already exists.")
    return _back(f"{added.name} can now sign in as {added.role.value}.")


@bp.post(f"/staff/{STAFF_ID}/role")
@role_required(*ADMIN_DESK)
def change_staff_role(staff_id: int) -> Response | PageAnswer:
    """Give a staff account another role; it takes effect on their next page."""
    target = _target(staff_id)
    form = StaffRoleForm()
    if not form.validate():
        return _staff_page(status=400, error=form.role.errors[0] if form.role.errors else "Please try again.")
    try:
        changed = staff_service.change_staff_role(_me(), target, StaffRole(form.role.data))
    except StaffChangeRefused as error:
        return _refused(error)
    return _back(
        f"{target.name} is now {target.role.value}." if changed else f"{target.name} already has that role."
    )


@bp.post(f"/staff/{STAFF_ID}/deactivate")
@role_required(*ADMIN_DESK)
def deactivate_staff(staff_id: int) -> Response | PageAnswer:
    """Stop an account from signing in; its open sessions end at once."""
    target = _target(staff_id)
    try:
        changed = staff_service.deactivate_staff(_me(), target)
    except StaffChangeRefused as error:
        return _refused(error)
    return _back(
        f"{target.name} is deactivated and signed out."
        if changed
        else f"{target.name} was already deactivated."
    )


@bp.post(f"/staff/{STAFF_ID}/activate")
@role_required(*ADMIN_DESK)
def activate_staff(staff_id: int) -> Response:
    """Let a deactivated account sign in again."""
    target = _target(staff_id)
    changed = staff_service.activate_staff(_me(), target)
    return _back(f"{target.name} can sign in again." if changed else f"{target.name} was already active.")


@bp.post(f"/staff/{STAFF_ID}/second-factor/reset")
@role_required(*ADMIN_DESK)
def reset_staff_second_factor(staff_id: int) -> Response | PageAnswer:
    """Take the second factor off a colleague who lost both their phone and their recovery codes.

    Their sessions end; they sign in again with their password and set up a new factor.
    """
    target = _target(staff_id)
    try:
        staff_service.reset_second_factor(_me(), target)
    except (StaffChangeRefused, NoSecondFactor) as error:
        return _refused(error)
    return _back(
        f"The second factor of {target.name} is reset and they are signed out. They can sign in "
        "with their password alone and set up a new one on their security page."
    )
