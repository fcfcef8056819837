"""The admin desk's wholesale plans: the list, a new plan, changes, retiring and reinstating.
Refusals answer 400 with the message and the typed values; nothing is saved."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..catalog.plan_admin import Actor, PlanError, create_plan, find_plan, set_plan_on_sale, update_plan
from ..identity.staff import wholesale_plans
from ..models import BillingCycle, Plan
from . import bp
from .forms import PlanForm
from .roles import ADMIN_DESK, role_required

CODE = "<string(maxlength=40):code>"
PageAnswer = tuple[str, int]


def _actor() -> Actor:
    return Actor(f"staff:{current_user.id}", current_user.role.value)


def _plan(code: str) -> Plan:
    plan = find_plan(code)
    if plan is None:
        abort(404)
    return plan


def _form_page(form: PlanForm, plan: Plan | None = None, status: int = 200, error: str = "") -> PageAnswer:
    return render_template("staff/plan_form.html", form=form, plan=plan, error=error), status


@bp.get("/plans")
@role_required(*ADMIN_DESK)
def plans() -> str:
    """The platform's wholesale plans with their prices per billing cycle."""
    return render_template("staff/admin_plans.html", plans=wholesale_plans(), cycles=list(BillingCycle))


@bp.route("/plans/new", methods=["GET", "POST"])
@role_required(*ADMIN_DESK)
def plan_new() -> Response | PageAnswer:
    """Add a plan on sale to every shop's price list."""
    form = PlanForm()
    if not form.is_submitted():
        return _form_page(form)
    if not form.validate():
        return _form_page(form, status=400, error="Please correct the marked fields.")
    try:
        plan = create_plan(form.code.data or "", form.draft(), _actor())
    except PlanError as error:
        return _form_page(form, status=400, error=str(error))
    flash(f"{plan.name} is on sale; shops can price it on their price lists.", "success")
    return redirect(url_for("staff.plans"), 303)


@bp.route(f"/plans/{CODE}", methods=["GET", "POST"])
@role_required(*ADMIN_DESK)
def plan_edit(code: str) -> Response | PageAnswer:
    """Change a plan's name, texts and wholesale prices (its code stays)."""
    plan = _plan(code)
    form = PlanForm()
    if not form.is_submitted():
        form.fill(plan)
        return _form_page(form, plan)
    if not form.validate():
        return _form_page(form, plan, 400, "Please correct the marked fields.")
    try:
        changed = update_plan(plan, form.draft(), _actor())
    except PlanError as error:
        return _form_page(form, plan, 400, str(error))
    flash(f"{plan.name}: {', '.join(changed)} saved." if changed else "Nothing changed.", "success")
    return redirect(url_for("staff.plans"), 303)


@bp.post(f"/plans/{CODE}/retire")
@role_required(*ADMIN_DESK)
def plan_retire(code: str) -> Response:
    """Take a plan off every shop; services already on it keep renewing."""
    return _on_sale(code, False)


@bp.post(f"/plans/{CODE}/reinstate")
@role_required(*ADMIN_DESK)
def plan_reinstate(code: str) -> Response:
    """Put a retired plan back on every shop's price list."""
    return _on_sale(code, True)


def _on_sale(code: str, on_sale: bool) -> Response:
    plan = _plan(code)
    if not FlaskForm().validate():
        abort(400)
    changed = set_plan_on_sale(plan, on_sale, _actor())
    state = "back on sale" if on_sale else "retired: no shop sells it, services on it keep renewing"
    flash(f"{plan.name} is {state}." if changed else f"{plan.name} already was.", "success")
    return redirect(url_for("staff.plans"), 303)
