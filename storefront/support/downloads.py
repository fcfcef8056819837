"""Ticket files as downloads, the same for customers, shop teams and platform staff: always saved,
never shown inline, never sniffed into something the browser would run."""

from __future__ import annotations

import io
import re
import unicodedata
from urllib.parse import quote

from flask import send_file
from werkzeug.wrappers import Response

from ..models import Attachment

INLINE_SAFE_TYPES = frozenset({"image/png", "image/jpeg"})


def content_disposition(filename: str) -> str:
    """Return an ``attachment`` disposition with an ASCII fallback name and the exact UTF-8 name."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r"[^A-Za-z0-9 ._()-]", "_", fallback).strip()
    stem, dot, extension = fallback.rpartition(".")
    if not re.search(r"[A-Za-z0-9]", stem if dot else fallback):
        fallback = f"attachment.{extension}" if dot and extension else "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def send_attachment(attachment: Attachment) -> Response:
    """Answer with the file as a download: ``attachment``, ``nosniff``, kept by no cache."""
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
