"""The customer's own account: overview and profile; orders, invoices and services join it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import flash, g, redirect, request, url_for
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from ..branding.theming import render_themed
from ..commerce.orders import account_summary
from ..identity import customers
from ..models import Customer
from ..privacy.privacy_centre import record_own_action
from ..ratelimits import account_email_key, account_key, address_key, customer_password_checks, limited
from . import bp
from .forms import PasswordForm, ProfileForm


def customer_required(view: Callable) -> Callable:
    """Send visitors who are not signed in as this shop's customer to the sign-in page."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not isinstance(current_user._get_current_object(), Customer):
            return redirect(url_for("shop.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return guarded


def verified_email_required(view: Callable) -> Callable:
    """Ask a customer who has not confirmed their address to do that first (403, with the resend button).

    Until then the shop sends the account nothing but its confirmation link: whoever signed up may
    not own the address, and the name they chose would reach its owner and the shop's team.
    """

    @wraps(view)
    def guarded(*args, **kwargs):
        if current_user.email_verified_at is None:
            return render_themed("account/confirm_first.html"), 403
        return view(*args, **kwargs)

    return guarded


@bp.get("/account")
@customer_required
def account() -> str:
    """The customer's overview: recent orders, services and what is owed."""
    return render_themed("account/overview.html", summary=account_summary(g.shop, current_user))


def _profile_page(profile: ProfileForm, password: PasswordForm) -> tuple[str, int]:
    status = 400 if profile.errors or password.errors else 200
    return render_themed("account/profile.html", profile=profile, password=password), status


@bp.route("/account/profile", methods=["GET", "POST"])
@customer_required
def profile() -> Response | tuple[str, int]:
    """See and correct the details held about you."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        _audit_profile_change(current_user._get_current_object(), form.name.data)
        customers.update_profile(current_user, form.name.data)
        flash("Your details are saved.", "success")
        return redirect(url_for("shop.profile"))
    return _profile_page(form, PasswordForm(formdata=None))


def _audit_profile_change(customer: Customer, name: str) -> None:
    """Write the customer's own change of name to the audit log; update_profile commits it."""
    if name != customer.name:
        record_own_action(g.shop, customer, "profile", "changed name")


@bp.post("/account/password")
@customer_required
@customer_password_checks(account_email_key)
def change_password() -> Response | tuple[str, int]:
    """Change the password; other sessions end, this one continues."""
    form = PasswordForm()
    if form.validate_on_submit():
        customer = current_user._get_current_object()
        if customers.change_password(customer, form.current.data, form.password.data):
            login_user(customer)  # the session carries the new epoch
            flash("Your password is changed. Other devices are signed out.", "success")
            return redirect(url_for("shop.profile"))
        form.current.errors.append("That is not your current password.")
    return _profile_page(ProfileForm(obj=current_user, formdata=None), form)


@bp.post("/account/verify-email")
@customer_required
@limited("RATELIMIT_VERIFY_RESEND_PER_ACCOUNT", account_key)
@limited("RATELIMIT_VERIFY_RESEND_PER_ADDRESS", address_key)
def resend_verification() -> Response:
    """Email a fresh verification link."""
    customers.resend_verification(g.shop, current_user._get_current_object())
    flash("We have sent you a new link. Please check your inbox.", "success")
    return redirect(url_for("shop.account"))
