"""Error pages: branded per shop (framed by the console there), plain for staff, bare for unknown hosts."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from .branding.theming import render_themed
from .extensions import db
from .tenancy import plain_not_found

MESSAGES = {
    400: ("Bad request", "We could not understand that request. Please check it and try again."),
    403: ("Not allowed", "Your role does not give access to this page."),
    404: ("Page not found", "We could not find that page. It may have moved or never existed."),
    405: ("Not allowed", "That action is not available on this page."),
    409: ("Already done", "That step has already happened, so nothing was changed."),
    413: ("Too large", "What you sent is larger than we accept."),
    429: ("Too many requests", "Please wait a moment before trying again."),
    500: ("Something went wrong", "We hit a problem on our side. Please try again shortly."),
    503: ("Temporarily unavailable", "We cannot reach our records just now. Please try again in a minute."),
}


def render_error(error: HTTPException) -> tuple[str | Response, int]:
    """Render an HTTP error for the audience of the request."""
    code = error.code or 500
    title, message = MESSAGES.get(code, (error.name, "That did not work."))
    if code >= 500:
        db.session.rollback()
    if g.get("shop") is not None and request.blueprint == "console":
        return render_template("console/error.html", code=code, title=title, message=message), code
    if g.get("shop") is not None:
        return render_themed("error.html", code=code, title=title, message=message), code
    if g.get("is_staff_host"):
        return render_template("staff/error.html", code=code, title=title, message=message), code
    if code == 404:
        return plain_not_found(), 404
    return Response(f"{title}\n", status=code, mimetype="text/plain"), code


def render_unexpected(error: Exception) -> tuple[str | Response, int]:
    """Turn an unhandled exception into the audience's 500 page; the trace goes to the log."""
    current_app.logger.error("Unhandled exception", exc_info=error)
    try:
        return render_error(InternalServerError())
    except Exception:  # the page itself failed: answer without brand or detail
        return Response("Something went wrong\n", status=500, mimetype="text/plain"), 500


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(Exception, render_unexpected)
