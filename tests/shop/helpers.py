"""Shared steps for storefront tests: CSRF tokens, sign-in, reading links from the outbox."""

from __future__ import annotations

import re

from sqlalchemy import select

from storefront.extensions import db
from storefront.identity.password_resets import write_reset_emails
from storefront.models import OutboxMessage

DEMO_PASSWORD = "storefront-demo"


def csrf_from(html: str) -> str:
    """Return the first CSRF token on a page."""
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(client, path: str, data: dict, page: str | None = None, **kwargs):
    """POST a form with the CSRF token from ``page`` (default: the form's own page)."""
    token = csrf_from(client.get(page or path).text)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def sign_in(client, email: str, password: str = DEMO_PASSWORD):
    """Sign in through the login form."""
    return post_form(client, "/login", {"email": email, "password": password})


def outbox(app, to: str | None = None, kind: str | None = None) -> list[OutboxMessage]:
    """Return the queued emails, oldest first, optionally to one address or of one kind.

    Like ``storefront mail outbox``, it first writes the reset emails asked for at /reset.
    """
    with app.app_context():
        write_reset_emails()
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if to:
            query = query.where(OutboxMessage.to_address == to)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        messages = list(db.session.scalars(query))
        db.session.expunge_all()
        return messages


def link_in(message: OutboxMessage, path_prefix: str) -> str:
    """Return the first absolute link in an email whose path starts with ``path_prefix``."""
    match = re.search(rf"https?://[^\s\"<>]+{re.escape(path_prefix)}[^\s\"<>]*", message.text_body)
    assert match, f"no {path_prefix} link in {message.subject!r}"
    return match.group(0)
