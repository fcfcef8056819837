"""A team member's second factor: TOTP set-up, recovery codes, and the sign-in code step."""

from __future__ import annotations

from flask import g
from werkzeug.wrappers import Response

from ..models import TeamMember
from ..ratelimits import address_key, limited
from ..web import second_factor as web
from . import bp
from .auth import sign_in, team_required


@bp.before_request
def require_second_factor() -> Response | None:
    """When configuration requires it, owners without a second factor may only set one up."""
    return web.set_up_first(TeamMember)


def _issuer() -> str:
    """The authenticator app names the key after the shop, never after the platform behind it."""
    return g.shop.brand_name


@bp.route("/login/code", methods=["GET", "POST"])
@limited("RATELIMIT_SIGN_IN_PER_EMAIL", web.pending_limit_key, failures_only=True)
@limited("RATELIMIT_SIGN_IN_PER_ADDRESS", address_key, failures_only=True)
def login_code() -> Response:
    """The second step of signing in: the code from the authenticator app, or a recovery code."""
    return web.code_step(TeamMember, sign_in)


@bp.get("/security")
@team_required
def security() -> Response:
    """Whether this account's second factor is on, and the ways to change it."""
    return web.security_page()


@bp.post("/security/totp/start")
@team_required
def security_totp_start() -> Response:
    """Make a new key for an authenticator app."""
    return web.start_set_up(_issuer())


@bp.post("/security/totp/confirm")
@web.wrong_codes_limited(web.signed_in_key)
@team_required
def security_totp_confirm() -> Response:
    """Turn the second factor on with a first code from the app."""
    return web.confirm_set_up(_issuer())


@bp.post("/security/totp/disable")
@web.wrong_codes_limited(web.signed_in_key)
@team_required
def security_totp_disable() -> Response:
    """Turn the second factor off, given a current code."""
    return web.turn_off()


@bp.post("/security/recovery-codes")
@web.wrong_codes_limited(web.signed_in_key)
@team_required
def security_recovery_codes() -> Response:
    """Replace the recovery codes, given a current code."""
    return web.renew_recovery_codes()
