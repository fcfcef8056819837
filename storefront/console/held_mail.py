"""Held mail: email to the shop's support address that was kept aside, for the team to read and dismiss.

Messages are named by a random token, never a row id. Listing, reading and dismissing each write
an audit entry.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..extensions import db
from ..htmx import is_htmx
from ..models import InboundEmail
from ..paging import page_number
from ..support.inbound.held import dismiss, held_email, held_page, readable_text, shown_headers
from . import bp
from .auth import record_team_action, team_required

TOKEN = "<token>"  # checked in held_email: an unknown or odd token is simply not found


@bp.get("/held-mail")
@team_required
def held_mail() -> str:
    """The shop's held mail, newest first."""
    listing = held_page(g.shop.id, page_number(request.args.get("page")))
    record_team_action("held-mail", "list", f"page {listing.page}, {len(listing.rows)} messages")
    template = "console/_held_mail_list.html" if is_htmx() else "console/held_mail.html"
    shown = render_template(template, listing=listing)
    db.session.commit()
    return shown


def _held(token: str) -> InboundEmail:
    found = held_email(g.shop.id, token)
    if found is None:
        abort(404)
    return found


@bp.get(f"/held-mail/{TOKEN}")
@team_required
def held_mail_message(token: str) -> str:
    """One held message: its headers and its text, never its HTML; the view is audited."""
    email = _held(token)
    record_team_action(f"held-mail:{email.token}", "view", email.reason[:120])
    shown = render_template(
        "console/held_mail_message.html",
        email=email,
        headers=shown_headers(email.raw),
        body=readable_text(email.raw),
    )
    db.session.commit()
    return shown


@bp.post(f"/held-mail/{TOKEN}/dismiss")
@team_required
def held_mail_dismiss(token: str) -> Response:
    """Set a held message aside for good: it leaves the list and stays stored; audited."""
    email = _held(token)
    dismiss(email)
    record_team_action(f"held-mail:{email.token}", "dismiss", email.reason[:120])
    db.session.commit()
    flash("The message is dismissed: it no longer shows here.", "success")
    return redirect(url_for("console.held_mail"), 303)
