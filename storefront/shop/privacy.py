"""The privacy centre: a customer sees, downloads and corrects what the shop holds about them."""

from __future__ import annotations

import json

from flask import Response, abort, flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from ..branding.theming import render_themed
from ..models import Customer, utcnow
from ..privacy import privacy_centre as centre
from ..privacy.access_log import BadPage, access_page, parse_page
from ..privacy.data_export import export_data, export_filename, record_export
from ..privacy.disclosures import LEGAL_BASIS_LABELS, disclosures_of
from ..ratelimits import account_email_key, customer_password_checks
from . import bp
from .account import customer_required, verified_email_required
from .privacy_forms import CloseAccountForm, ConsentForm, CorrectionForm
from .views import local_date_filter

NUMBER = "<int(max=2147483647):correction_number>"


def _me() -> Customer:
    return current_user._get_current_object()


def _privacy_page(
    status: int = 200,
    *,
    log_page: int = 1,
    log_error: str = "",
    correction: CorrectionForm | None = None,
    close: CloseAccountForm | None = None,
    consent_error: str = "",
    error: str = "",
) -> tuple[str, int]:
    """Render the whole privacy centre, with whichever form failed showing its message."""
    me, shop = _me(), g.shop
    choices = centre.record_choices(shop, me)
    page = render_themed(
        "account/privacy.html",
        choices=choices,
        corrections=centre.corrections_of(shop, me),
        correction_form=(correction or CorrectionForm(formdata=None)).offer(choices),
        waiting=centre.WAITING,
        log=access_page(shop, me, log_page),
        log_error=log_error,
        disclosures=disclosures_of(me.id),
        legal_bases=LEGAL_BASIS_LABELS,
        consents=centre.consent_history(shop, me, limit=centre.CONSENTS_SHOWN + 1),
        consents_shown=centre.CONSENTS_SHOWN,
        consent_error=consent_error,
        close_form=close or CloseAccountForm(formdata=None),
        retain_months=centre.retention_months(shop),
        error=error,
    )
    return page, status


@bp.get("/account/privacy")
@customer_required
def privacy_centre() -> tuple[str, int]:
    """Your data, who has seen it, who it was given to, your consents, corrections and closing."""
    try:
        return _privacy_page(log_page=parse_page(request.args.get("page")))
    except BadPage as error:
        return _privacy_page(400, log_error=str(error))


@bp.get("/account/privacy/export")
@customer_required
def privacy_export() -> Response:
    """Download everything the shop holds about you as one JSON file."""
    now = utcnow()
    data = export_data(g.shop, _me(), now)
    record_export(g.shop, _me())
    response = Response(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{export_filename(g.shop, now)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/privacy/consent")
@customer_required
def privacy_consent() -> BaseResponse | tuple[str, int]:
    """Give or withdraw consent to the shop's marketing; the same answer twice changes nothing."""
    form = ConsentForm()
    if not form.validate_on_submit():
        return _privacy_page(400, consent_error=" ".join(form.granted.errors) or "Please answer yes or no.")
    granted = form.granted.data == "yes"
    if not centre.set_marketing_consent(g.shop, _me(), granted):
        flash("No change: that was already your choice.", "success")
    elif granted:
        flash(
            f"Thank you. {g.shop.brand_name} may send you news and offers; you can withdraw at any time.",
            "success",
        )
    else:
        flash(f"Done. {g.shop.brand_name} will not send you marketing.", "success")
    return redirect(url_for("shop.privacy_centre", _anchor="marketing"), 303)


@bp.post("/account/privacy/corrections")
@customer_required
@verified_email_required
def privacy_correction() -> BaseResponse | tuple[str, int]:
    """Ask the shop to correct something you cannot edit yourself; it answers within 21 days."""
    form = CorrectionForm().offer(centre.record_choices(g.shop, _me()))
    if form.validate_on_submit():
        try:
            asked = centre.ask_correction(g.shop, _me(), form.record.data or "", form.details.data)
        except centre.PrivacyError as error:
            getattr(form, error.field or "record").errors.append(str(error))
        else:
            flash(f"We have your request and will answer by {local_date_filter(asked.due_at)}.", "success")
            return redirect(url_for("shop.privacy_centre", _anchor="corrections"), 303)
    return _privacy_page(400, correction=form)


@bp.post(f"/account/privacy/corrections/{NUMBER}/withdraw")
@customer_required
def privacy_correction_withdraw(correction_number: int) -> BaseResponse | tuple[str, int]:
    """Withdraw one of your correction requests the shop has not closed yet."""
    found = centre.find_correction(g.shop, _me(), correction_number)
    if found is None:
        abort(404)
    try:
        centre.withdraw_correction(g.shop, _me(), found)
    except centre.PrivacyError as error:
        return _privacy_page(409, error=str(error))
    flash("Your correction request is withdrawn.", "success")
    return redirect(url_for("shop.privacy_centre", _anchor="corrections"), 303)


@bp.post("/account/privacy/close")
@customer_required
@customer_password_checks(account_email_key)
def privacy_close() -> BaseResponse | tuple[str, int]:
    """Close your account with your password; you are signed out everywhere."""
    form = CloseAccountForm()
    if form.validate_on_submit():
        months = centre.retention_months(g.shop)
        if centre.close_account(g.shop, _me(), form.password.data):
            logout_user()
            session.clear()
            flash(_closed_message(months), "success")
            return redirect(url_for("shop.home"), 303)
        form.password.errors.append("That is not your password. Your account is still open.")
    return _privacy_page(400, close=form)


def _closed_message(months: int) -> str:
    return (
        f"Your account is closed. {g.shop.brand_name} keeps it for {months} months and then anonymises it; "
        "invoices are kept as the law requires."
    )
