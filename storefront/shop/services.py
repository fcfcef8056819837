"""One service's page and what the customer may change there: automatic renewal, ending at the end of the
term or now, the plan (with proration) and the billing cycle from the next renewal. Each change is a POST
with its own form, through a billing verb, answered 400 with the reason (409 when the page is out of date
or the service's state does not allow it) and nothing changed."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, g, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..billing import customer_requests as requests
from ..billing.life import ServiceStateError
from ..billing.plan_changes import PlanChangeError, PlanChangeStale, change_plan, withdraw_plan_change
from ..billing.service_page import find_service, service_page
from ..branding.theming import render_themed
from ..extensions import db
from ..models import InvoiceStatus, Service, utcnow
from ..ratelimits import account_key, limited
from . import bp
from .account import customer_required, verified_email_required
from .forms import (
    AutoRenewForm,
    BillingCycleForm,
    CancelNowForm,
    ChangePlanForm,
    EndAtTermForm,
    KeepRenewingForm,
    WithdrawCycleChangeForm,
    WithdrawPlanChangeForm,
)

PATH = "/account/services/<int(max=2147483647):number>"
REFUSED = (requests.RequestError, PlanChangeError, ServiceStateError)


def _my_service(number: int) -> Service:
    service = find_service(g.shop, current_user._get_current_object(), number)
    if service is None:
        abort(404)
    return service


def _page(
    service: Service, error: str | None = None, status: int = 200, **forms: FlaskForm
) -> tuple[str, int]:
    page = service_page(g.shop, current_user._get_current_object(), service, utcnow())
    return render_themed("account/service.html", page=page, error=error, forms=forms), status


@bp.get(PATH)
@customer_required
def service(number: int) -> tuple[str, int]:
    """The service: status, cycle, due date, price, scheduled changes, invoices, history and actions."""
    return _page(_my_service(number))


def _change(
    number: int, form: FlaskForm, name: str, act: Callable[[Service], str]
) -> Response | tuple[str, int]:
    """Run one change from its form; a refusal re-shows the page with the reason and changes nothing."""
    service = _my_service(number)
    if not form.validate_on_submit():
        first = next(iter(form.errors.values()))[0]
        return _page(service, first, 400, **{name: form})
    try:
        done = act(service)
    except REFUSED as error:
        db.session.rollback()
        status = 409 if isinstance(error, PlanChangeStale | ServiceStateError) else 400
        return _page(_my_service(number), str(error), status, **{name: form})
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("shop.service", number=number), 303)


def _actor() -> str:
    return f"customer:{current_user.id}"


def _limited(view: Callable) -> Callable:
    return customer_required(
        verified_email_required(limited("RATELIMIT_SERVICE_CHANGE_PER_ACCOUNT", account_key)(view))
    )


@bp.post(f"{PATH}/auto-renew")
@_limited
def service_auto_renew(number: int) -> Response | tuple[str, int]:
    """Turn automatic renewal on or off."""
    form = AutoRenewForm()

    def act(service: Service) -> str:
        on = form.turn.data == "on"
        requests.set_auto_renew(g.shop, service, on, _actor())
        return (
            "Automatic renewal is on." if on else "Automatic renewal is off: the service ends with its term."
        )

    return _change(number, form, "auto_renew", act)


@bp.post(f"{PATH}/end-at-term")
@_limited
def service_end_at_term(number: int) -> Response | tuple[str, int]:
    """Ask for the service to end at the end of its term."""
    form = EndAtTermForm()

    def act(service: Service) -> str:
        requests.ask_to_end_at_term(g.shop, service, form.reason.data, _actor())
        return "The service will end at the end of its term."

    return _change(number, form, "end_at_term", act)


@bp.post(f"{PATH}/keep-renewing")
@_limited
def service_keep_renewing(number: int) -> Response | tuple[str, int]:
    """Withdraw the request to end at the end of the term."""

    def act(service: Service) -> str:
        requests.withdraw_end_at_term(g.shop, service, _actor())
        return "The service will renew after all."

    return _change(number, KeepRenewingForm(), "keep_renewing", act)


@bp.post(f"{PATH}/cancel")
@_limited
def service_cancel(number: int) -> Response | tuple[str, int]:
    """Cancel the service now."""
    form = CancelNowForm()

    def act(service: Service) -> str:
        requests.cancel_now(g.shop, service, form.reason.data, _actor())
        return "The service is cancelled."

    return _change(number, form, "cancel", act)


@bp.get(f"{PATH}/change-plan")
@customer_required
def service_change_plan_review(number: int) -> tuple[str, int]:
    """Show what moving to the chosen plan costs or gives back, to confirm."""
    service = _my_service(number)
    page = service_page(g.shop, current_user._get_current_object(), service, utcnow())
    code = (request.args.get("plan") or "")[:40].lower()
    choice = next((c for c in page.choices if c.code == code), None)
    if choice is None:
        waiting = (
            page.open_change and "A move to another plan is waiting for payment: pay it or withdraw it first."
        )
        error = page.change_blocker or waiting or "Please choose one of the plans offered on this page."
        return render_themed("account/service.html", page=page, error=error, forms={}), 400
    return render_themed("account/change_plan.html", page=page, choice=choice, form=ChangePlanForm()), 200


@bp.post(f"{PATH}/change-plan")
@_limited
def service_change_plan(number: int) -> Response | tuple[str, int]:
    """Confirm the move: an upgrade leads to its invoice, a downgrade is done at once."""
    form = ChangePlanForm()
    moved: dict[str, int] = {}

    def act(service: Service) -> str:
        outcome = change_plan(
            g.shop,
            service,
            form.plan.data,
            _actor(),
            from_plan=form.current_plan.data.lower(),
            quoted_minor=form.quoted.data,
        )
        if outcome.invoice is not None and outcome.invoice.status == InvoiceStatus.ISSUED:
            moved["invoice"] = outcome.invoice.number
            return "Pay this invoice and your service moves to the new plan at once."
        return "Your service is on its new plan."

    answer = _change(number, form, "change_plan", act)
    if "invoice" in moved and isinstance(answer, Response):
        return redirect(url_for("shop.invoice", number=moved["invoice"]), 303)
    return answer


@bp.post(f"{PATH}/withdraw-plan-change")
@_limited
def service_withdraw_plan_change(number: int) -> Response | tuple[str, int]:
    """Withdraw a plan change waiting for payment; its invoice is cancelled."""

    def act(service: Service) -> str:
        withdraw_plan_change(g.shop, service, _actor())
        return "The plan change is withdrawn and its invoice cancelled."

    return _change(number, WithdrawPlanChangeForm(), "withdraw_plan_change", act)


@bp.post(f"{PATH}/cycle")
@_limited
def service_cycle(number: int) -> Response | tuple[str, int]:
    """Change the billing cycle from the next renewal."""
    form = BillingCycleForm()

    def act(service: Service) -> str:
        requests.change_cycle(g.shop, service, form.cycle.data, _actor())
        return "The new billing cycle applies from the next renewal."

    return _change(number, form, "cycle", act)


@bp.post(f"{PATH}/cycle/withdraw")
@_limited
def service_cycle_withdraw(number: int) -> Response | tuple[str, int]:
    """Keep the current billing cycle after all."""

    def act(service: Service) -> str:
        requests.withdraw_cycle_change(g.shop, service, _actor())
        return "The billing cycle stays as it is."

    return _change(number, WithdrawCycleChangeForm(), "cycle_withdraw", act)
