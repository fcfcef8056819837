"""Rate limits per case-folded email, account and client address: password checks, reset, sign-up, mail."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import partial, wraps

from flask import Flask, Response, current_app, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from .addresses import InvalidEmail, normalise_email
from .extensions import limiter


def email_key() -> str:
    """Key a limit on the shop and the email the form names, in the normal form sign-in uses.

    Every spelling that reaches one account (case, width, spaces) shares one counter.
    """
    return _email_key(request.form.get("email") or "")


def account_email_key() -> str:
    """Key a limit on the signed-in account's email, exactly as sign-in keys the email typed in."""
    return _email_key(current_user.email)


def _email_key(raw: str) -> str:
    try:
        email = normalise_email(raw, allow_test_domains=True)
    except InvalidEmail:
        email = unicodedata.normalize("NFKC", raw).strip().casefold()
    return f"email:{g.shop.id if g.get('shop') else 'staff'}:{email}"


def account_key() -> str:
    """Key a limit on the signed-in account (its kind and id)."""
    return f"account:{current_user.identity_kind}:{current_user.id}"


def failed_attempt(response: Response) -> bool:
    """Count only refused attempts, so someone who signs in is not held back by them.

    The contract: a limited view answers a success with a redirect (302 or 303); any other answer
    counts, except our own failures (5xx: a database outage must not use up anyone's attempts).
    """
    return response.status_code not in (302, 303) and response.status_code < 500


def limited(
    config_key: str, key_func: Callable[[], str], *, failures_only: bool = False, shared: str | None = None
) -> Callable:
    """A POST-only rate limit whose rate is read from configuration at request time.

    Views limited with the same ``shared`` name (and the same rate) count on one counter.
    """
    options = {
        "key_func": key_func,
        "methods": ["POST"],
        "deduct_when": failed_attempt if failures_only else None,
    }
    rate = _configured(config_key)
    return limiter.shared_limit(rate, shared, **options) if shared else limiter.limit(rate, **options)


def _configured(config_key: str) -> Callable[[], str]:
    return lambda: current_app.config[config_key]


def customer_password_checks(key_func: Callable[[], str]) -> Callable:
    """The customer sign-in limits, per email and per address, counting wrong passwords only.

    Sign-in and every form that asks a signed-in customer for the password again share them, so
    guesses spread over those forms add up to one count.
    """

    def decorate(view: Callable) -> Callable:
        per_address = limited(
            "RATELIMIT_SIGN_IN_PER_ADDRESS",
            address_key,
            failures_only=True,
            shared="customer-password-address",
        )
        per_email = limited(
            "RATELIMIT_SIGN_IN_PER_EMAIL", key_func, failures_only=True, shared="customer-password-email"
        )
        return per_email(per_address(view))

    return decorate


def address_key() -> str:
    """Key a limit on the client's address (as the proxy set-up reports it)."""
    return f"address:{get_remote_address()}"


def _not_a_form_submission() -> bool:
    """Every limit here is on a POST; other requests skip the limiter's work entirely."""
    return request.method != "POST"


def _on_posts_only(hook: Callable) -> Callable:
    """Run one of the limiter's request hooks for a POST only; other requests pass straight through."""

    @wraps(hook)
    def posts_only(*args):
        if request.method != "POST":
            return args[0] if args else None  # an after-request hook hands the response on
        return hook(*args)

    return posts_only


def init_app(app: Flask) -> None:
    """Bind the limiter; storage comes from RATELIMIT_STORAGE_URI.

    Every limit here is on a POST, so the limiter's hooks that check and count a request, and the one
    that clears its per-request state, do no work (not even finding the view's limits) on any other request.
    """
    limiter.init_app(app)
    limiter.request_filter(_not_a_form_submission)
    check = limiter._check_request_limit
    before = app.before_request_funcs[None]
    before[:] = [_on_posts_only(hook) if hook == check else hook for hook in before]
    after = app.after_request_funcs[None]
    after[:] = [
        _on_posts_only(hook) if isinstance(hook, partial) and limiter in hook.args else hook for hook in after
    ]
    teardown = app.teardown_request_funcs[None]
    teardown[:] = [
        _on_posts_only(hook) if getattr(hook, "__self__", None) is limiter else hook for hook in teardown
    ]
