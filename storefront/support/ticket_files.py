"""Files in tickets: what a customer attaches on the web (held to the limits of emailed files),
finding one file of a ticket for a download, and sizes as people read them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import BinaryIO, Protocol

from sqlalchemy import select
from sqlalchemy.orm import undefer

from ..extensions import db
from ..formatting import file_size
from ..mail.attachments import AttachmentLimits, IncomingFile, clean_filename, safe_content_type
from ..models import Attachment, Ticket, TicketMessage
from .tickets import TicketError

_STORED_NAME = re.compile(r"[0-9a-f]{1,64}")  # as the server makes them


class Upload(Protocol):
    """A file a browser sent (Werkzeug's ``FileStorage`` fits)."""

    filename: str | None
    mimetype: str
    stream: BinaryIO


def read_uploads(uploads: Iterable[Upload], limits: AttachmentLimits) -> list[IncomingFile]:
    """Return the files chosen on a form, named and typed as emailed files are; raise TicketError
    (and keep none) when there are too many or one is too large."""
    chosen = [upload for upload in uploads if upload.filename]  # an empty file field sends a nameless part
    if len(chosen) > limits.max_count:
        raise TicketError(f"Please attach at most {limits.max_count} files to one message.")
    files = []
    for upload in chosen:
        name = clean_filename(upload.filename or "")
        data = upload.stream.read(limits.max_bytes + 1)
        if len(data) > limits.max_bytes:
            raise TicketError(
                f"{name} is larger than {file_size(limits.max_bytes)}, the most one file may be. "
                "Please send a smaller file."
            )
        files.append(IncomingFile(name, safe_content_type(upload.mimetype or ""), data))
    return files


def ticket_file(ticket: Ticket, stored_name: str, *, internal: bool) -> Attachment | None:
    """Return a file of the ticket by its stored name, with its bytes; ``internal`` includes notes' files."""
    if not _STORED_NAME.fullmatch(stored_name):
        return None
    query = (
        select(Attachment)
        .join(TicketMessage, TicketMessage.id == Attachment.message_id)
        .where(
            TicketMessage.ticket_id == ticket.id,
            Attachment.reseller_id == ticket.reseller_id,
            Attachment.stored_name == stored_name,
        )
        .options(undefer(Attachment.data))
    )
    if not internal:
        query = query.where(TicketMessage.internal.is_(False))
    return db.session.scalar(query)
