"""CSRF protection (Flask-WTF) on every request that can change something; other requests skip its hook."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, current_app, request

from .extensions import csrf

HOOK_NAME = "csrf_protect"


def _unsafe_methods_only(hook: Callable) -> Callable:
    """Run Flask-WTF's check for the methods it protects (``WTF_CSRF_METHODS``) only.

    Its check returns at once for any other method, but only after finding the view and its
    exemptions: work every page view would do for nothing.
    """

    @wraps(hook)
    def protect_unsafe_methods():
        if request.method in current_app.config["WTF_CSRF_METHODS"]:
            return hook()
        return None

    return protect_unsafe_methods


def init_app(app: Flask) -> None:
    """Bind CSRF protection, its request hook running for POST, PUT, PATCH and DELETE only."""
    csrf.init_app(app)
    before = app.before_request_funcs[None]
    hooks = [index for index, hook in enumerate(before) if hook.__name__ == HOOK_NAME]
    if len(hooks) != 1:  # a Flask-WTF that names its hook otherwise: keep it, never drop the check
        raise RuntimeError(f"Flask-WTF's {HOOK_NAME} request hook was not found")
    before[hooks[0]] = _unsafe_methods_only(before[hooks[0]])
