"""Rate limits on sign-in and password reset: per case-folded email and per client address."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request
from flask_limiter.util import get_remote_address

from .extensions import limiter
from .services.addresses import InvalidEmail, normalise_email


def email_key() -> str:
    """Key a limit on the shop and the email the form names, in the normal form sign-in uses.

    Every spelling that reaches one account (case, width, spaces) shares one counter.
    """
    raw = request.form.get("email") or ""
    try:
        email = normalise_email(raw, allow_test_domains=True)
    except InvalidEmail:
        email = unicodedata.normalize("NFKC", raw).strip().casefold()
    return f"email:{g.shop.id if g.get('shop') else 'staff'}:{email}"


def failed_attempt(response: Response) -> bool:
    """Count only refused attempts, so someone who signs in is not held back by them.

    The contract: a limited view answers a success with a 302 redirect; any other answer counts,
    except our own failures (5xx: a database outage must not use up anyone's attempts).
    """
    return response.status_code != 302 and response.status_code < 500


def limited(config_key: str, key_func: Callable[[], str], *, failures_only: bool = False) -> Callable:
    """A POST-only rate limit whose rate is read from configuration at request time."""
    return limiter.limit(
        lambda: current_app.config[config_key],
        key_func=key_func,
        methods=["POST"],
        deduct_when=failed_attempt if failures_only else None,
    )


def address_key() -> str:
    """Key a limit on the client's address (as the proxy set-up reports it)."""
    return f"address:{get_remote_address()}"


def _not_a_form_submission() -> bool:
    """Every limit here is on a POST; other requests skip the limiter's work entirely."""
    return request.method != "POST"


def init_app(app: Flask) -> None:
    """Bind the limiter; storage comes from RATELIMIT_STORAGE_URI."""
    limiter.init_app(app)
    limiter.request_filter(_not_a_form_submission)
