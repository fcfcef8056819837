"""Files of escalated tickets: staff open them only while the ticket is on the escalation screen."""

from __future__ import annotations

from flask import abort
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import utcnow
from ..support import escalation_screen as screen
from ..support.downloads import send_attachment
from ..support.ticket_files import ticket_file
from . import bp
from .escalations import DESK, ID
from .roles import record_staff_action, role_required


@bp.get(f"/escalations/{ID}/attachments/<stored_name>")
@role_required(*DESK)
def escalation_attachment(ticket_id: int, stored_name: str) -> Response:
    """Send a file of a ticket on the screen as a download; audited under the ticket's customer."""
    ticket = screen.screen_ticket(ticket_id, utcnow())
    attachment = ticket_file(ticket, stored_name, internal=True) if ticket is not None else None
    if attachment is None:
        abort(404)
    reason = f"file {stored_name} of an escalated ticket"
    record_staff_action(ticket.reseller_id, f"ticket:{ticket.id}", "download", reason, ticket.customer_id)
    db.session.commit()
    return send_attachment(attachment)
