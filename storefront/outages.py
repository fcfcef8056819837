"""When the database cannot be reached: 503 with Retry-After on every host, one log line each, no trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import ServiceUnavailable

from .extensions import db, login_manager

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def is_database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database is down, unreachable or dropped the connection."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def describe(error: BaseException) -> str:
    """One line about a database error: the driver's first line, never the SQL or its parameters."""
    cause = getattr(error, "orig", None) or error
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {first_line}" if first_line else type(cause).__name__


def discard_session() -> None:
    """End the request's session; a connection that died cannot roll back, so it is dropped instead."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session().invalidate()


def database_unavailable(error: Exception) -> tuple[str | Response, int]:
    """Answer 503 with Retry-After in the audience's own page; other database errors stay 500s."""
    from .errors import render_error, render_unexpected

    if not is_database_unavailable(error):
        return render_unexpected(error)
    log.error("database unavailable: %s %s: %s", request.method, request.path, describe(error))
    g.database_unavailable = True
    discard_session()
    # Who is signed in cannot be looked up now: the page is drawn for a visitor.
    g._login_user = login_manager.anonymous_user()
    if request.endpoint == "healthz":
        return jsonify(status="unavailable"), 503
    try:
        return render_error(ServiceUnavailable())
    except Exception as page_error:  # the page needed the database too
        log.error("database unavailable: the error page failed too: %s", describe(page_error))
        return Response("Temporarily unavailable\n", status=503, mimetype="text/plain"), 503


def _retry_after(response: Response) -> Response:
    """Tell clients when to retry a request the database outage refused."""
    if response.status_code == 503 and g.get("database_unavailable"):
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _close_session(error: BaseException | None) -> None:
    """Close the request's session; a connection lost after the answer was made does not spoil it."""
    try:
        db.session.remove()
    except DBAPIError as close_error:
        if not is_database_unavailable(close_error):
            raise
        log.error("database connection lost at the end of a request: %s", describe(close_error))
        db.session().invalidate()
        db.session.remove()


def init_app(app: Flask) -> None:
    """Register the 503 answer, its Retry-After, and a session close that survives a dead connection."""
    app.register_error_handler(DBAPIError, database_unavailable)
    app.register_error_handler(PoolTimeout, database_unavailable)
    # First in the list runs last: after the rate limiter has set its own Retry-After.
    app.after_request_funcs.setdefault(None, []).insert(0, _retry_after)
    # Runs before Flask-SQLAlchemy's own removal, which then finds nothing left to close.
    app.teardown_appcontext(_close_session)
