"""htmx conventions: detect fragment requests, vary caches on them, set response headers."""

from __future__ import annotations

import json

from flask import Flask, Response, request


def is_htmx() -> bool:
    """True for an htmx request that wants a fragment (not boosted, not a history restore)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def hx_response(response: Response, *, trigger: dict | None = None, push_url: str | None = None) -> Response:
    """Attach htmx response headers through one place."""
    if trigger:
        response.headers["HX-Trigger"] = json.dumps(trigger)
    if push_url:
        response.headers["HX-Push-Url"] = push_url
    return response


def vary_on(response: Response, field: str) -> None:
    """Add a request header to the response's Vary header.

    Written directly when the field is new, rather than through ``response.vary``, which parses the
    header and writes it back on every change: every response varies on one or two fields.
    """
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = field
    elif field.lower() not in (name.strip().lower() for name in vary.split(",")):
        response.headers["Vary"] = f"{vary}, {field}"


def _vary_on_htmx(response: Response) -> Response:
    vary_on(response, "HX-Request")
    return response


def _redirect_the_page(response: Response) -> Response:
    """A redirect answering htmx (say, to sign in after a session ended) moves the whole page."""
    if response.status_code in (301, 302, 303) and response.location and is_htmx():
        response.headers["HX-Redirect"] = response.location
        del response.headers["Location"]
        response.status_code = 200
        response.set_data(b"")
    return response


def init_app(app: Flask) -> None:
    """Vary every response on HX-Request (one URL serves page and fragment); redirect htmx pages whole."""
    app.after_request(_vary_on_htmx)
    app.after_request(_redirect_the_page)
