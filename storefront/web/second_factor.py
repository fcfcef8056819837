"""The second factor in the staff and console screens: the code step at sign-in, the security
page, and the rule that makes staff and owners set one up when configuration requires it.

Both blueprints call these helpers from their own routes, behind their own sign-in guard. The
security-page helpers act on the signed-in account; templates come from the calling blueprint's
folder (staff/ or console/) and url_for uses blueprint-relative endpoints ("." + name), so one
helper serves either host.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import segno
from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import StringField, SubmitField
from wtforms.validators import Length

from ..extensions import db, limiter
from ..identity import second_factor
from ..identity.second_factor import SecondFactorError
from ..models import StaffUser, TeamMember, TeamRole
from ..whole_numbers import whole_number

Account = StaffUser | TeamMember

PENDING_KEY = "pending_second_factor"
PENDING_AT_KEY = "pending_second_factor_at"
PENDING_SECONDS = 5 * 60
WRONG_CODE = "That code is not right. Enter the current code from your authenticator app, or a recovery code."
# Where an account that must set up a second factor may still go.
OPEN_BEFORE_SET_UP = frozenset(
    {"login", "login_code", "logout", "security", "security_totp_start", "security_totp_confirm"}
)


class CodeForm(FlaskForm):
    """One code from the authenticator app, or a recovery code."""

    code = StringField("Code", validators=[Length(max=40, message="A code is at most 40 characters.")])
    cancel = SubmitField("Cancel")


# The code step at sign-in -------------------------------------------------------------------


def begin_code_step(account: Account, target: str) -> Response:
    """After a right password: remember the account as waiting for its code, not signed in, and ask."""
    session.clear()
    session[PENDING_KEY] = account.get_id()
    session[PENDING_AT_KEY] = int(time.time())
    return redirect(target)


def pending_account(model: type[Account], now: float | None = None) -> Account | None:
    """Return the account waiting for its code on this host, if the wait is recent and still valid.

    The stored id names the kind of account, so a staff sign-in is nothing on a shop's console
    and the reverse; a moved auth epoch (password change, sign-out everywhere) ends the wait.
    """
    kind, raw_id, raw_epoch = (str(session.get(PENDING_KEY, "")).split(":") + ["", ""])[:3]
    started = session.get(PENDING_AT_KEY)
    now = time.time() if now is None else now
    account_id, epoch = whole_number(raw_id), whole_number(raw_epoch)
    if kind != model.identity_kind or account_id is None or epoch is None:
        return None
    if not isinstance(started, int) or not 0 <= now - started <= PENDING_SECONDS:
        return None
    query = select(model).where(model.id == account_id, model.auth_epoch == epoch)
    if model is TeamMember:
        query = query.where(TeamMember.reseller_id == g.shop.id)
    account = db.session.scalar(query)
    return account if account is not None and account.is_active and account.has_second_factor else None


def clear_pending() -> None:
    """Forget a sign-in waiting for its code."""
    session.pop(PENDING_KEY, None)
    session.pop(PENDING_AT_KEY, None)


def pending_limit_key() -> str:
    """Key the code step's limit on the waiting account, so signing in again resets nothing."""
    kind, raw_id = (str(session.get(PENDING_KEY, "")).split(":") + [""])[:2]
    return f"second-factor:{kind}:{raw_id}"


def code_step(model: type[Account], sign_in: Callable[[Account], Response]) -> Response:
    """Ask the waiting account for its code; the right one signs it in, a wrong one answers 400."""
    account = pending_account(model)
    if account is None:
        clear_pending()
        if isinstance(current_user._get_current_object(), model):
            return redirect(url_for(".index"))
        flash("Please sign in again: the sign-in waiting for a code has ended.", "error")
        return redirect(url_for(".login", next=request.args.get("next") or None))
    form = CodeForm()
    if form.validate_on_submit():
        if form.cancel.data:
            clear_pending()
            flash("Sign-in cancelled.", "success")
            return redirect(url_for(".login"))
        if second_factor.verify(account, form.code.data or ""):
            db.session.commit()
            clear_pending()
            return sign_in(account)
        form.code.errors.append(WRONG_CODE)
    page = render_template(_template("login_code.html"), form=form)
    return no_store(page, 400 if form.errors else 200)


# The security page --------------------------------------------------------------------------


def _template(name: str) -> str:
    """The calling blueprint's own copy of a page (staff/ or console/), framed for its host."""
    return f"{request.blueprint}/{name}"


def _account() -> Account:
    return current_user._get_current_object()


def security_page(error: str | None = None, status: int = 200) -> Response:
    """The signed-in account's second factor: on or off, recovery codes left, and what can be done next."""
    account = _account()
    left = second_factor.recovery_codes_left(account) if account.has_second_factor else 0
    required = second_factor_required(account)
    page = render_template(_template("security.html"), codes_left=left, required=required, error=error)
    return no_store(page, status)


def start_set_up(issuer: str) -> Response:
    """Make a new key and show it as a QR code and as text, with the form for a first code."""
    try:
        second_factor.begin_enrolment(_account())
    except SecondFactorError as refused:
        db.session.rollback()
        return security_page(str(refused), 409)
    db.session.commit()
    return set_up_page(issuer)


def set_up_page(issuer: str, form: CodeForm | None = None) -> Response:
    """The page with the new key; 400 when it shows a refused code."""
    account = _account()
    uri = second_factor.provisioning_uri(account, issuer)
    form = form or CodeForm(formdata=None)
    page = render_template(
        _template("security_setup.html"),
        form=form,
        qr_code=qr_svg(uri),
        key=key_in_groups(account.totp_secret),
        uri=uri,
        issuer=issuer,
    )
    return no_store(page, 400 if form.errors else 200)


def confirm_set_up(issuer: str) -> Response:
    """Turn the second factor on with a first code; show the recovery codes once."""
    account, form = _account(), CodeForm()
    if not form.validate_on_submit():
        return security_page(_first_error(form), 400)
    if account.has_second_factor or not account.totp_secret:
        return security_page("Start the set-up first.", 400)
    try:
        codes = second_factor.confirm_enrolment(account, form.code.data or "")
    except SecondFactorError:
        db.session.rollback()
        form.code.errors.append(WRONG_CODE)
        return set_up_page(issuer, form)
    db.session.commit()
    return recovery_codes_page(codes, "Your second factor is on.")


def turn_off() -> Response:
    """Turn the second factor off, given a current code."""
    _, refused = _change_with_current_code(second_factor.disable)
    if refused is not None:
        return refused
    flash("Your second factor is off. Signing in now needs only your password.", "success")
    return redirect(url_for(".security"), 303)


def renew_recovery_codes() -> Response:
    """Replace the recovery codes, given a current code; show the new ones once."""
    codes, refused = _change_with_current_code(second_factor.regenerate_recovery_codes)
    if refused is not None:
        return refused
    return recovery_codes_page(codes, "New recovery codes made; the old ones no longer work.")


def recovery_codes_page(codes: list[str], headline: str) -> Response:
    """Show recovery codes, once; the page is never stored by the browser."""
    return no_store(render_template(_template("security_codes.html"), codes=codes, headline=headline))


def _change_with_current_code(change: Callable) -> tuple[object, Response | None]:
    """Make ``change`` with the code the form carries; a refusal comes back as the page to answer."""
    account, form = _account(), CodeForm()
    if not form.validate_on_submit():
        return None, security_page(_first_error(form), 400)
    if not account.has_second_factor:
        return None, security_page("Your second factor is not on.", 409)
    try:
        result = change(account, form.code.data or "")
    except SecondFactorError as refused:
        db.session.rollback()
        return None, security_page(str(refused), 400)
    db.session.commit()
    return result, None


def _first_error(form: FlaskForm) -> str:
    for errors in form.errors.values():
        return errors[0] if isinstance(errors, list) and errors else "Please try again."
    return "Please try again."


def wrong_codes_limited(key_func: Callable[[], str]) -> Callable:
    """Count refused codes on the security page under the sign-in limit, so codes cannot be guessed."""
    return limiter.limit(
        lambda: current_app.config["RATELIMIT_SIGN_IN_PER_EMAIL"],
        key_func=key_func,
        methods=["POST"],
        deduct_when=lambda response: response.status_code == 400,
    )


def signed_in_key() -> str:
    """Key a limit on the signed-in account."""
    return f"second-factor-change:{current_user.get_id() if current_user.is_authenticated else ''}"


# Showing a key ------------------------------------------------------------------------------


def qr_svg(uri: str) -> Markup:
    """Draw the otpauth URI as an inline SVG QR code (no style attributes, so the CSP allows it)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer,
        kind="svg",
        xmldecl=False,
        nl=False,
        scale=5,
        dark="#000",
        light="#fff",
        svgclass="qr-code",
        lineclass=None,
        title="QR code for your authenticator app",
    )
    return Markup(buffer.getvalue().decode().replace("<svg ", '<svg role="img" ', 1))


def key_in_groups(secret: str | None) -> str:
    """Show a key in groups of four letters, for typing it into an app by hand."""
    secret = secret or ""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def no_store(page: str, status: int = 200) -> Response:
    """Answer with a page no browser or proxy keeps: it may show a key or recovery codes."""
    response = current_app.make_response((page, status))
    response.headers["Cache-Control"] = "no-store"
    return response


# Requiring a second factor ------------------------------------------------------------------


def second_factor_required(account: Account) -> bool:
    """True when configuration requires a second factor of this account: every staff member, every owner."""
    if not current_app.config["REQUIRE_SECOND_FACTOR"]:
        return False
    return isinstance(account, StaffUser) or account.role == TeamRole.OWNER


def set_up_first(model: type[Account]) -> Response | None:
    """Send a signed-in account that must set up a second factor to the security page (303)."""
    if not current_app.config["REQUIRE_SECOND_FACTOR"]:
        return None
    if (request.endpoint or "").rpartition(".")[2] in OPEN_BEFORE_SET_UP:
        return None
    account = _account()
    if not isinstance(account, model) or account.has_second_factor or not second_factor_required(account):
        return None
    flash("Set up a second factor to continue.", "error")
    return redirect(url_for(".security"), 303)
