"""Files that come with inbound mail: which are kept, their cleaned names, and storing them."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage, Message

from ..models import Attachment, TicketMessage
from .mailtext import unsurrogate

FILENAME_MAX = 200
CONTENT_TYPE_MAX = 100
FALLBACK_NAME = "attachment"
FALLBACK_TYPE = "application/octet-stream"
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
# Control and format characters (bidi overrides among them) and line or paragraph separators.
_UNWANTED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class IncomingFile:
    """An attachment to keep: its cleaned display name, declared type and bytes."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class AttachmentLimits:
    """How many attachments one message may keep, and how large each may be."""

    max_count: int
    max_bytes: int


def clean_filename(raw: str) -> str:
    """Return a display name: the last path part only, no control characters, at most 200 characters."""
    name = unsurrogate(raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c) not in _UNWANTED_CATEGORIES)
    name = " ".join(name.split())
    if name in ("", ".", ".."):
        return FALLBACK_NAME
    if len(name) <= FILENAME_MAX:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and len(extension) <= 16:
        return stem[: FILENAME_MAX - len(extension) - 1] + "." + extension
    return name[:FILENAME_MAX]


def safe_content_type(declared: str) -> str:
    """Return the declared media type if it is well-formed and short, else application/octet-stream."""
    value = declared.strip().lower()
    if len(value) <= CONTENT_TYPE_MAX and _CONTENT_TYPE.fullmatch(value):
        return value
    return FALLBACK_TYPE


def _is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or bool(part.get_filename())


def collect_attachments(
    message: EmailMessage, body_part: Message | None, limits: AttachmentLimits
) -> tuple[list[IncomingFile], list[str]]:
    """Return the attachments to keep and a note for each one left out, in message order."""
    kept: list[IncomingFile] = []
    notes: list[str] = []
    for part in message.walk():
        if part is body_part or part.is_multipart() or not _is_attachment(part):
            continue
        name = clean_filename(part.get_filename() or FALLBACK_NAME)
        data = part.get_payload(decode=True) or b""
        if len(data) > limits.max_bytes:
            notes.append(f"[attachment {name} not kept: too large]")
        elif len(kept) >= limits.max_count:
            notes.append(f"[attachment {name} not kept: too many attachments]")
        else:
            kept.append(IncomingFile(name, safe_content_type(part.get_content_type()), data))
    return kept, notes


def store_attachments(message: TicketMessage, files: list[IncomingFile]) -> list[Attachment]:
    """Store ``files`` with ``message`` under random server-made names; the caller commits."""
    rows = [
        Attachment(
            reseller_id=message.reseller_id,
            stored_name=secrets.token_hex(16),
            filename=file.filename,
            content_type=file.content_type,
            size_bytes=len(file.data),
            data=file.data,
        )
        for file in files
    ]
    message.attachments.extend(rows)
    return rows
