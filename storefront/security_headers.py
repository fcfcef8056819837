"""Response headers every answer carries: CSP without inline script, and no server hints."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, has_request_context, session


def content_security_policy() -> str:
    """Return the policy: our own origin plus the htmx CDN, no inline script or style."""
    config = current_app.config
    return _policy(config["HTMX_CDN_URL"], config["HTMX_USE_LOCAL"])


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


FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def _set_security_headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name, _ in headers}  # one pass, not a search per header
    if "content-security-policy" not in present:
        headers.add("Content-Security-Policy", content_security_policy())
    for name, value in FIXED_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if "x-powered-by" in present:
        headers.remove("X-Powered-By")
    if "cache-control" not in present and has_request_context() and session.get("_user_id"):
        # A signed-in person's pages hold their data: no shared or back-button cache keeps them.
        headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response."""
    app.after_request(_set_security_headers)
