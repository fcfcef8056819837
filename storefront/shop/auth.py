"""Customer sign-up, email verification, sign-in, sign-out and password reset."""

from __future__ import annotations

from flask import flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ..branding.theming import render_themed
from ..identity import customers
from ..identity.password_resets import request_password_reset
from ..identity.tokens import find_live_token
from ..models import TokenPurpose
from ..privacy import privacy_notice
from ..ratelimits import address_key, customer_password_checks, email_key, limited
from ..web.forms import LoginForm, safe_next
from . import bp
from .forms import ResetForm, ResetRequestForm, SignUpForm


def sign_in(customer) -> None:
    """Start a fresh session for the customer, keeping the cart."""
    cart = session.get("cart")
    session.clear()
    if cart:
        session["cart"] = cart
    login_user(customer)


def _page(template: str, form, status: int = 200):
    return render_themed(template, form=form), 400 if form.errors else status


@bp.route("/signup", methods=["GET", "POST"])
@limited("RATELIMIT_SIGN_UP_PER_EMAIL", email_key)
@limited("RATELIMIT_SIGN_UP_PER_ADDRESS", address_key)
def signup() -> Response | tuple[str, int]:
    """Open an account with a name, an email and a password."""
    form = SignUpForm()
    if form.validate_on_submit():
        customers.sign_up(g.shop, form.name.data, form.email.data, form.password.data)
        return redirect(url_for("shop.check_email", reason="signup"))
    return _page("auth/signup.html", form)


@bp.get("/check-email")
def check_email() -> str:
    """The same answer whatever the email: look in your inbox."""
    return render_themed("auth/check_email.html", reason=request.args.get("reason", "signup"))


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify(token: str) -> Response | str | tuple[str, int]:
    """Confirm the email address: the link shows a button, and only the POST changes anything.

    Confirming never signs anyone in, so a link planted by someone else cannot sign a
    visitor into the planter's account.
    """
    if find_live_token(g.shop.id, token, TokenPurpose.VERIFY_EMAIL) is None:
        return render_themed("auth/link_expired.html", purpose="verify"), 400
    if request.method == "GET":
        return render_themed("auth/verify.html")
    customer = customers.verify_email(g.shop, token)
    if customer is None:  # a second click that lost the race for the same link
        return render_themed("auth/link_expired.html", purpose="verify"), 400
    flash("Thank you, your email address is confirmed.", "success")
    if current_user.is_authenticated and current_user.get_id() == customer.get_id():
        return redirect(url_for("shop.cart") if session.get("cart") else url_for("shop.account"), 303)
    next_page = url_for("shop.checkout") if session.get("cart") else url_for("shop.account")
    return redirect(url_for("shop.login", next=next_page), 303)


@bp.route("/login", methods=["GET", "POST"])
@customer_password_checks(email_key)
def login() -> Response | tuple[str, int]:
    """Sign in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        customer = customers.authenticate(g.shop, form.email.data, form.password.data)
        if customer is not None:
            sign_in(customer)
            return redirect(_after_sign_in(customer))
        form.password.errors.append("That email and password do not match an account here.")
    return _page("auth/login.html", form)


def _after_sign_in(customer) -> str:
    """Where a customer goes once signed in: first to a new privacy notice they have not read."""
    target = safe_next(url_for("shop.account"))
    if privacy_notice.review_due(g.shop, customer):
        return url_for("shop.notice_review", next=target)
    return target


@bp.post("/logout")
def logout() -> Response:
    """Sign out, ending this account's sessions everywhere."""
    if current_user.is_authenticated:
        customers.sign_out_everywhere(current_user)
    logout_user()
    session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("shop.home"))


@bp.route("/reset", methods=["GET", "POST"])
@limited("RATELIMIT_RESET_PER_EMAIL", email_key)
@limited("RATELIMIT_RESET_PER_ADDRESS", address_key)
def reset_request() -> Response | tuple[str, int]:
    """Ask for a password reset link; the answer never says whether the account exists."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        request_password_reset(g.shop, form.email.data)
        return redirect(url_for("shop.check_email", reason="reset"))
    return _page("auth/reset_request.html", form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> Response | tuple[str, int]:
    """Choose a new password with an emailed link."""
    if find_live_token(g.shop.id, token, TokenPurpose.RESET_PASSWORD) is None:
        return render_themed("auth/link_expired.html", purpose="reset"), 400
    form = ResetForm()
    if form.validate_on_submit():
        if customers.reset_password(g.shop, token, form.password.data) is None:
            return render_themed("auth/link_expired.html", purpose="reset"), 400
        logout_user()
        flash("Your password is changed. Please sign in with it.", "success")
        return redirect(url_for("shop.login"))
    return _page("auth/reset.html", form)
