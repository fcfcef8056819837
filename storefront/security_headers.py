"""Response headers every answer carries: CSP without inline script, and no server hints."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, has_request_context, session


def content_security_policy() -> str:
    """Return the policy: our own origin plus the htmx CDN, no inline script or style."""
    return _policy(current_app.config["HTMX_CDN_URL"], current_app.config["HTMX_USE_LOCAL"])


@lru_cache(maxsize=4)
def _policy(htmx_cdn_url: str, htmx_use_local: bool) -> str:
    cdn = urlsplit(htmx_cdn_url)
    script_sources = "'self'" if htmx_use_local else f"'self' {cdn.scheme}://{cdn.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {script_sources}",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.pop("X-Powered-By", None)
    if "Cache-Control" not in headers and has_request_context() and session.get("_user_id"):
        # A signed-in person's pages hold their data: no shared or back-button cache keeps them.
        headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response."""
    app.after_request(_set_security_headers)
