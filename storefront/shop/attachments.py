"""Ticket attachments: downloaded, never shown inline, only by the customer whose ticket it is."""

from __future__ import annotations

from flask import abort, g
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Ticket
from ..support.downloads import content_disposition, send_attachment
from ..support.ticket_files import ticket_file
from . import bp
from .account import customer_required

__all__ = ["content_disposition", "ticket_attachment"]


@bp.get("/account/tickets/<int(max=2147483647):ticket_number>/attachments/<stored_name>")
@customer_required
def ticket_attachment(ticket_number: int, stored_name: str) -> Response:
    """Send a file from a customer-visible message of the customer's own ticket as a download."""
    ticket = db.session.scalar(
        select(Ticket).where(
            Ticket.reseller_id == g.shop.id,
            Ticket.number == ticket_number,
            Ticket.customer_id == current_user.id,
        )
    )
    attachment = ticket_file(ticket, stored_name, internal=False) if ticket is not None else None
    if attachment is None:
        abort(404)
    return send_attachment(attachment)
