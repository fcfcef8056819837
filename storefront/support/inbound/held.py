"""Held mail: messages kept aside (quarantined) for the shop they were sent to, to read and dismiss.

A shop's team sees the quarantined mail addressed to its support address; mail kept aside with
no one shop to show it to waits for staff on the triage screen. Reading shows the headers and
the text only, never rendered HTML, and never parses a message the pre-scan refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from typing import ClassVar

from flask import current_app, has_app_context
from sqlalchemy import func, select

from ...config import DefaultConfig
from ...extensions import db
from ...mail.mailtext import html_to_text, one_line
from ...mail.rawmail import field_name, field_value, fields, split_head
from ...models import InboundEmail, InboundOutcome, utcnow
from ...paging import PageCount
from .prescan import scan

TEXT_SHOWN = 20_000
# What a shop's team is shown of a message's headers; staff also see the receiving servers' results
# (whose names may be the platform's).
SHOWN_HEADERS = (b"from", b"to", b"cc", b"reply-to", b"subject", b"date", b"message-id")
STAFF_HEADERS = (*SHOWN_HEADERS, b"return-path", b"authentication-results")
HEADER_SHOWN = 500


@dataclass(frozen=True)
class HeldPage(PageCount):
    """A page of a shop's held mail, newest first."""

    per_page: ClassVar[int] = 50
    rows: list[InboundEmail]
    total: int
    page: int


def _held_for(reseller_id: int):
    return (
        (InboundEmail.reseller_id == reseller_id)
        & (InboundEmail.outcome == InboundOutcome.QUARANTINED)
        & InboundEmail.dismissed_at.is_(None)
    )


def held_page(reseller_id: int, page: int) -> HeldPage:
    """Return a page of the shop's quarantined mail not yet dismissed, in two queries."""
    condition = _held_for(reseller_id)
    total = db.session.scalar(select(func.count(InboundEmail.id)).where(condition)) or 0
    rows = db.session.scalars(
        select(InboundEmail)
        .where(condition)
        .order_by(InboundEmail.created_at.desc(), InboundEmail.id.desc())
        .limit(HeldPage.per_page)
        .offset((page - 1) * HeldPage.per_page)
    )
    return HeldPage(list(rows), total, page)


def held_email(reseller_id: int, token: str) -> InboundEmail | None:
    """Return one of the shop's held messages by its public token, if it is still held."""
    if not token.isascii() or len(token) > 32:
        return None
    return db.session.scalar(select(InboundEmail).where(_held_for(reseller_id), InboundEmail.token == token))


def dismiss(email: InboundEmail) -> None:
    """Set a held message aside for good: it leaves the list, and stays stored; the caller commits."""
    email.dismissed_at = utcnow()


def shown_headers(raw: bytes, names: tuple[bytes, ...] = SHOWN_HEADERS) -> list[tuple[str, str]]:
    """Return the headers worth showing, as written (one line each, cut short), in their order."""
    head, _ = split_head(raw or b"")
    shown = []
    for field in fields(head):
        name = field_name(field)
        if name in names:
            shown.append((field.partition(b":")[0].decode("ascii", "replace").strip(), field_value(field)))
    return [(name, one_line(value)[:HEADER_SHOWN]) for name, value in shown]


def readable_text(raw: bytes) -> str:
    """Return a message's text for a screen: the plain part, or the HTML part reduced to text."""
    config = current_app.config if has_app_context() else vars(DefaultConfig)
    refused = scan(raw or b"", config["INBOUND_MAX_PARTS"], config["INBOUND_MAX_DEPTH"]).problem
    if refused is not None or len(raw or b"") > config["INBOUND_MAX_BYTES"]:
        return f"(The text is not shown: {refused or 'the message is too large'}.)"
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw or b"")
        part = message.get_body(preferencelist=("plain", "html"))
        text = part.get_content() if part is not None else ""
        if part is not None and part.get_content_type() == "text/html":
            text = html_to_text(text)
    except Exception:  # a message kept aside may be malformed in any way; show none of it
        return "(This message could not be decoded.)"
    printable = "".join(char for char in str(text) if char.isprintable() or char in "\n\t")
    return "\n".join(line.rstrip() for line in printable.strip().splitlines())[:TEXT_SHOWN]
