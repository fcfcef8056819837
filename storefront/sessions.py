"""The signed-cookie session, skipping all signing work for visitors who have no cookie yet or keep none."""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from .htmx import vary_on


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session; a request without the cookie gets an empty session at once."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SecureCookieSession, response: Response) -> None:
        """Flask's saving, but an empty session nobody changed costs no cookie settings lookup."""
        if not session and not session.modified:
            if session.accessed:
                vary_on(response, "Cookie")
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    """Use the cookie session interface above."""
    app.session_interface = CookieSessionInterface()
