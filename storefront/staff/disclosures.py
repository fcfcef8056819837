"""The disclosure register: what customer data went outside, to whom, why and on what basis.

Admins record one disclosure at a time, naming the customer by shop and exact email; the register
lists disclosures with the customer as a number only, never a list of a shop's customers.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Reseller, StaffRole, utcnow
from ..paging import page_number
from ..privacy.disclosures import (
    LEGAL_BASIS_LABELS,
    UnknownCustomer,
    find_customer,
    record_disclosure,
    record_refused_lookup,
    register,
)
from ..support.escalation_screen import shop_choices
from ..whole_numbers import whole_number
from . import bp
from .disclosure_forms import DisclosureForm
from .local_time import staff_date, staff_zone, zone_label
from .roles import record_staff_action, role_required

REGISTER_ENDPOINTS = {"staff.disclosures", "staff.new_disclosure"}


@bp.after_request
def _disclosures_not_stored(response: Response) -> Response:
    """Keep the register (customer data) out of every cache."""
    if request.endpoint in REGISTER_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    return response


def _chosen_shop(raw: str | None, shops: list[tuple[int, str]]) -> int | None:
    """Return the shop the register is filtered by, or raise ValueError for one that does not exist."""
    if not raw:
        return None
    if whole_number(raw) in {shop_id for shop_id, _ in shops}:
        return whole_number(raw)
    raise ValueError("There is no such shop.")


@bp.get("/disclosures")
@role_required(StaffRole.ADMIN)
def disclosures() -> str | tuple[str, int]:
    """The register across shops (or one shop), newest first; each view is audited."""
    shops = shop_choices()
    try:
        shop_id = _chosen_shop(request.args.get("shop"), shops)
    except ValueError as error:
        return render_template("staff/disclosures.html", shops=shops, chosen=None, error=str(error)), 400
    listing = register(page_number(request.args.get("page")), shop_id)
    shown = f"{len(listing.rows)} disclosures shown"
    record_staff_action(shop_id, f"disclosures:page-{listing.page}", "list", shown)
    db.session.commit()
    return render_template(
        "staff/disclosures.html",
        shops=shops,
        chosen=shop_id,
        listing=listing,
        labels=LEGAL_BASIS_LABELS,
        when=staff_date,
        error=None,
    )


def _form_page(form: DisclosureForm, problems: list[str], status: int = 200) -> tuple[str, int]:
    return render_template(
        "staff/disclosures_new.html", form=form, problems=problems, zone=zone_label()
    ), status


@bp.route("/disclosures/new", methods=["GET", "POST"])
@role_required(StaffRole.ADMIN)
def new_disclosure() -> Response | tuple[str, int]:
    """Record a disclosure of one customer's data; bad input answers 400 and saves nothing."""
    form = DisclosureForm()
    if not form.is_submitted():
        return _form_page(form, [])
    if not form.validate():
        return _form_page(form, form.problems(), 400)
    shop = db.session.get(Reseller, form.shop.data)
    allow_test = current_app.config["EMAIL_ALLOW_TEST_DOMAINS"]
    try:
        customer = find_customer(shop, form.customer_email.data, allow_test_domains=allow_test)
    except UnknownCustomer as error:
        record_refused_lookup(current_user.id, current_user.role.value, shop.id)
        db.session.commit()
        return _form_page(form, [str(error)], 400)
    details = form.details()
    record_disclosure(current_user.id, current_user.role.value, customer, details, staff_zone(), utcnow())
    db.session.commit()
    flash(
        f"Recorded: {details.recipient} received data of customer #{customer.id} of {shop.brand_name}.",
        "success",
    )
    return redirect(url_for("staff.disclosures"), 303)
