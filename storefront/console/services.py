"""The shop's hosting services: a list filtered by status and due date (owners and agents), each
service's record with its invoices and history, and what owners do to it: suspend, lift the shop's
suspension, terminate (after a confirmation page) and schedule a new price.

Every list and view is audited under the customers it shows; every action under its customer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..billing.life import ServiceStateError
from ..billing.price_changes import NOTICE_DAYS, PriceChangeError
from ..billing.service_book import (
    DAYS_MAX,
    BadServiceFilter,
    ServiceFilter,
    parse_service_filter,
    service_page,
    service_record,
    shop_service,
)
from ..billing.shop_actions import (
    ShopActionError,
    lift_shop_suspension,
    schedule_new_price,
    suspend_by_shop,
    terminate_by_shop,
)
from ..extensions import db
from ..htmx import is_htmx
from ..models import Service
from ..paging import page_number
from . import bp
from .auth import owner_required, record_team_action, record_team_list, team_required
from .credit_forms import first_problem
from .service_forms import PriceChangeForm, ReasonForm, UnsuspendForm

NUMBER = "<int(max=2147483647):service_number>"
REFUSED = (ShopActionError, PriceChangeError)


@bp.get("/services")
@team_required
def services() -> str | tuple[str, int]:
    """The shop's services, soonest due first, filtered by status and due date; audited with each customer."""
    try:
        chosen = parse_service_filter(request.args)
    except BadServiceFilter as error:
        return render_template(
            "console/services.html", listing=None, chosen=ServiceFilter(), error=str(error), days_max=DAYS_MAX
        ), 400
    page = page_number(request.args.get("page"))
    listing = service_page(g.shop.id, g.shop.timezone, chosen, page)
    described = ", ".join(f"{key} {value}" for key, value in chosen.query_args().items())
    record_team_list(
        "services",
        [row.customer_id for row in listing.rows],
        f"page {page}" + (f", {described}" if described else ""),
    )
    template = "console/_service_list.html" if is_htmx() else "console/services.html"
    shown = render_template(template, listing=listing, chosen=chosen, error=None, days_max=DAYS_MAX)
    db.session.commit()
    return shown


def _service(number: int) -> Service:
    found = shop_service(g.shop.id, number)
    if found is None:
        abort(404)
    return found


def _service_page(found: Service, error: str | None = None, **forms: FlaskForm) -> str:
    """Render a service's record, audited as a view (the caller commits)."""
    record_team_action(f"service:{found.id}", "view", customer_id=found.customer_id)
    record = service_record(g.shop.id, g.shop.timezone, found)
    shown = render_template(
        "console/service.html",
        record=record,
        error=error,
        suspend_form=forms.get("suspend_form") or ReasonForm(formdata=None),
        unsuspend_form=forms.get("unsuspend_form") or UnsuspendForm(formdata=None),
        price_form=forms.get("price_form") or PriceChangeForm(formdata=None),
        earliest_price_day=record.today + timedelta(days=NOTICE_DAYS),
        notice_days=NOTICE_DAYS,
    )
    db.session.commit()
    return shown


@bp.get(f"/services/{NUMBER}")
@team_required
def service(service_number: int) -> str:
    """One service: customer, plan, price, due date, invoices and history; the view is audited."""
    return _service_page(_service(service_number))


def _act(
    number: int, form: FlaskForm, form_name: str, action: str, verb: Callable[[Service], str], done: str
) -> Response | tuple[str, int]:
    """Run an owner's action on a service: refused input answers 400, a change that no longer applies
    409, each with the page and its message and nothing changed; done, it is audited and committed."""
    found = _service(number)
    service_id, customer_id = found.id, found.customer_id
    try:
        if not form.validate():
            raise ShopActionError(first_problem(form))
        audited_reason = verb(found)
    except (*REFUSED, ServiceStateError) as error:
        db.session.rollback()
        status = 409 if isinstance(error, ServiceStateError) else 400
        return _service_page(_service(number), str(error), **{form_name: form}), status
    record_team_action(f"service:{service_id}", action, audited_reason, customer_id=customer_id)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("console.service", service_number=number), 303)


def _actor() -> str:
    return f"team:{current_user.id}"


@bp.post(f"/services/{NUMBER}/suspend")
@owner_required
def suspend_service(service_number: int) -> Response | tuple[str, int]:
    """Suspend the service by the shop's decision; the customer is emailed the reason."""
    form = ReasonForm()

    def verb(found: Service) -> str:
        suspend_by_shop(g.shop, found, _actor(), form.reason.data)
        return " ".join(form.reason.data.split())

    return _act(
        service_number,
        form,
        "suspend_form",
        "suspend",
        verb,
        "The service is suspended; the customer has been emailed why.",
    )


@bp.post(f"/services/{NUMBER}/unsuspend")
@owner_required
def unsuspend_service(service_number: int) -> Response | tuple[str, int]:
    """Lift the shop's suspension; one for non-payment is refused with why."""
    form = UnsuspendForm()

    def verb(found: Service) -> str:
        lift_shop_suspension(g.shop, found, _actor(), form.reason.data)
        return " ".join((form.reason.data or "").split())

    return _act(service_number, form, "unsuspend_form", "unsuspend", verb, "The suspension is lifted.")


@bp.post(f"/services/{NUMBER}/price")
@owner_required
def schedule_price(service_number: int) -> Response | tuple[str, int]:
    """Move the service to a new price from a date at least 30 days ahead; the customer is emailed now."""
    form = PriceChangeForm()

    def verb(found: Service) -> str:
        schedule_new_price(g.shop, found, form.amount.data, form.applies_from.data, _actor())
        return f"{form.amount.data.strip()} from {form.applies_from.data.strip()}"

    return _act(
        service_number,
        form,
        "price_form",
        "price_change",
        verb,
        "The new price is scheduled; the customer has been sent the notice.",
    )


@bp.route(f"/services/{NUMBER}/terminate", methods=["GET", "POST"])
@owner_required
def terminate_service(service_number: int) -> Response | tuple[str, int]:
    """Ask to confirm, then end the service for good; the customer is emailed the reason."""
    found = _service(service_number)
    service_id, customer_id = found.id, found.customer_id
    form = ReasonForm(formdata=None) if request.method == "GET" else ReasonForm()
    if request.method == "GET":
        return _terminate_page(found, form), 200
    try:
        if not form.validate():
            raise ShopActionError(first_problem(form))
        terminate_by_shop(g.shop, found, _actor(), form.reason.data)
    except ShopActionError as error:
        db.session.rollback()
        return _terminate_page(_service(service_number), form, str(error)), 400
    except ServiceStateError as error:
        db.session.rollback()
        return _service_page(_service(service_number), str(error)), 409
    record_team_action(
        f"service:{service_id}", "terminate", " ".join(form.reason.data.split()), customer_id=customer_id
    )
    db.session.commit()
    flash("The service is terminated; the customer has been emailed why.", "success")
    return redirect(url_for("console.service", service_number=service_number), 303)


def _terminate_page(found: Service, form: ReasonForm, error: str | None = None) -> str:
    record_team_action(f"service:{found.id}", "view", customer_id=found.customer_id)
    record = service_record(g.shop.id, g.shop.timezone, found)
    shown = render_template("console/service_terminate.html", record=record, form=form, error=error)
    db.session.commit()
    return shown
