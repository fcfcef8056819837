"""Ticket attachments: downloaded, never shown inline, only by the customer whose ticket it is."""

from __future__ import annotations

import io
import re
import unicodedata
from urllib.parse import quote

from flask import abort, g, send_file
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import undefer
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Attachment, Ticket, TicketMessage
from . import bp
from .account import customer_required

INLINE_SAFE_TYPES = frozenset({"image/png", "image/jpeg"})
_STORED_NAME = re.compile(r"[0-9a-f]{1,64}")


def _my_attachment(ticket_id: int, stored_name: str) -> Attachment:
    """Return the attachment of a customer-visible message in the signed-in customer's ticket, or 404."""
    if not _STORED_NAME.fullmatch(stored_name):
        abort(404)
    attachment = db.session.scalar(
        select(Attachment)
        .join(TicketMessage, TicketMessage.id == Attachment.message_id)
        .join(Ticket, Ticket.id == TicketMessage.ticket_id)
        .where(
            Attachment.stored_name == stored_name,
            Attachment.reseller_id == g.shop.id,
            TicketMessage.ticket_id == ticket_id,
            TicketMessage.internal.is_(False),
            Ticket.reseller_id == g.shop.id,
            Ticket.customer_id == current_user.id,
        )
        .options(undefer(Attachment.data))
    )
    if attachment is None:
        abort(404)
    return attachment


def content_disposition(filename: str) -> str:
    """Return an ``attachment`` disposition with an ASCII fallback name and the exact UTF-8 name."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r"[^A-Za-z0-9 ._()-]", "_", fallback).strip()
    stem, dot, extension = fallback.rpartition(".")
    if not re.search(r"[A-Za-z0-9]", stem if dot else fallback):
        fallback = f"attachment.{extension}" if dot and extension else "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@bp.get("/account/tickets/<int(max=2147483647):ticket_id>/attachments/<stored_name>")
@customer_required
def ticket_attachment(ticket_id: int, stored_name: str) -> Response:
    """Send a file from the customer's own ticket as a download."""
    attachment = _my_attachment(ticket_id, stored_name)
    mimetype = attachment.content_type
    response = send_file(
        io.BytesIO(attachment.data),
        mimetype=mimetype if mimetype in INLINE_SAFE_TYPES else "application/octet-stream",
        as_attachment=True,
        download_name=attachment.filename,
        max_age=0,
    )
    response.headers["Content-Disposition"] = content_disposition(attachment.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
