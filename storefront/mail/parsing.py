"""Reading one raw RFC 822 message into what ingestion needs, or saying why it cannot be read."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email import errors, policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser

from .attachments import AttachmentLimits, IncomingFile, collect_attachments
from .mailtext import clean_body, html_to_text, one_line
from .rawmail import content_digest

HEADER_SCAN_BYTES = 256 * 1024
MESSAGE_ID_MAX = 255
ADDRESS_MAX = 254
MAX_RECIPIENTS = 100
MAX_REFERENCES = 50
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_ENCODED_WORD_CHARSET = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?[bBqQ]\?")
_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_STRUCTURE_DEFECTS = {
    errors.CloseBoundaryNotFoundDefect: "a multipart part is never closed",
    errors.StartBoundaryNotFoundDefect: "a multipart boundary is never found",
    errors.NoBoundaryInMultipartDefect: "a multipart has no boundary",
    errors.MultipartInvariantViolationDefect: "a multipart has no parts",
}
_DECODED_HEADERS = ("From", "To", "Cc", "Subject")
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})
_DAEMONS = frozenset({"mailer-daemon", "postmaster"})
_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond")


class MalformedEmail(ValueError):
    """A message that cannot be read reliably; the message says why."""


@dataclass(frozen=True)
class ParsedEmail:
    """What ingestion needs of a message, decoded and cleaned."""

    message_id: str
    sender: str  # lower-cased address
    sender_name: str
    recipients: list[str]  # envelope first, then To and Cc; case kept (reply tokens are case-sensitive)
    subject: str  # one line
    body: str  # plain text
    references: list[str]  # In-Reply-To first, then References newest first
    files: list[IncomingFile]
    notes: list[str]  # one line per attachment not kept
    auto_reply: str | None  # why it is an automatic message, if it is one
    authentication_results: list[str]  # every Authentication-Results value, topmost first


@dataclass(frozen=True)
class Summary:
    """Who sent a message kept aside, to whom, and its subject, as well as they can be read."""

    sender: str
    recipients: str
    subject: str


def _raw_values(message: Message, name: str) -> list[str]:
    """Return every raw (undecoded) value of the header ``name``."""
    wanted = name.lower()
    return [str(value) for key, value in message.raw_items() if key.lower() == wanted]


def _raw_value(message: Message, name: str) -> str | None:
    values = _raw_values(message, name)
    return values[0] if values else None


def _headers_only(raw: bytes) -> Message | None:
    try:
        return BytesHeaderParser(policy=policy.default).parsebytes(raw[:HEADER_SCAN_BYTES])
    except Exception:  # a parser bug must not lose the message
        return None


def message_id_of(raw: bytes) -> str:
    """Return the message's Message-ID, or a stable one made from a hash of its bytes."""
    headers = _headers_only(raw)
    value = one_line((headers and _raw_value(headers, "Message-ID")) or "")
    found = _MESSAGE_ID.search(value)
    if found is None and value and " " not in value:
        found = _MESSAGE_ID.search(f"<{value}>")
    if found is None:  # the same message received twice, by any route, gets the same one
        return f"<{content_digest(raw)}@inbound.invalid>"
    if len(found.group(0)) > MESSAGE_ID_MAX:
        return f"<{hashlib.sha256(found.group(0).encode()).hexdigest()}@long-id.invalid>"
    return found.group(0)


def summary_of(raw: bytes) -> Summary:
    """Return the sender, recipients and subject of any message, for the record of one kept aside."""
    headers = _headers_only(raw)
    if headers is None:
        return Summary("", "", "")
    sender = _sender(headers)
    recipients = ", ".join(_raw_values(headers, "To") + _raw_values(headers, "Cc"))
    return Summary(
        sender[0] if sender else one_line(_raw_value(headers, "From") or ""),
        one_line(recipients),
        _subject(headers),
    )


def header_recipients(raw: bytes) -> list[str]:
    """Return the To and Cc addresses of any message, read from its headers alone."""
    headers = _headers_only(raw)
    if headers is None:
        return []
    return _header_addresses(headers, "To") + _header_addresses(headers, "Cc")


def _subject(message: Message) -> str:
    """Return the decoded subject on one line, or the raw text when it will not decode."""
    raw = _raw_value(message, "Subject") or ""
    if _unknown_charsets(raw):
        return one_line(raw)
    try:
        return one_line(str(message.get("Subject", "")))
    except Exception:  # an odd header value: show it as written
        return one_line(raw)


def _unknown_charsets(value: str) -> list[str]:
    return [name for name in _ENCODED_WORD_CHARSET.findall(value) if not _is_text_charset(name)]


def _is_text_charset(name: str) -> bool:
    try:
        b"a".decode(name, "replace")  # empty input would decode without looking the codec up
    except (LookupError, ValueError):
        return False
    return True


def parse_email(raw: bytes, envelope_to: Iterable[str], limits: AttachmentLimits) -> ParsedEmail:
    """Return the decoded message, or raise MalformedEmail with every problem found."""
    try:
        return _parse(raw, envelope_to, limits)
    except MalformedEmail:
        raise
    except Exception as error:  # the stdlib parser has edge cases that raise; keep the message aside
        raise MalformedEmail(f"could not be read ({type(error).__name__})") from error


def _parse(raw: bytes, envelope_to: Iterable[str], limits: AttachmentLimits) -> ParsedEmail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    problems = [*_structure_problems(message), *_charset_problems(message), *_encoding_problems(message)]
    sender = _sender(message)
    if sender is None:
        problems.append("no sender address (From)")
    body_part = message.get_body(("plain", "html"))
    body = _body_text(body_part, problems)
    if problems or sender is None:
        raise MalformedEmail("; ".join(dict.fromkeys(problems)))
    files, notes = collect_attachments(message, body_part, limits)
    return ParsedEmail(
        message_id=message_id_of(raw),
        sender=sender[0],
        sender_name=sender[1],
        recipients=_recipients(message, envelope_to),
        subject=_subject(message),
        body=body,
        references=_references(message),
        files=files,
        notes=notes,
        auto_reply=auto_reply_reason(message, sender[0]),
        authentication_results=[one_line(v) for v in _raw_values(message, "Authentication-Results")],
    )


def _structure_problems(message: EmailMessage) -> list[str]:
    return [
        _STRUCTURE_DEFECTS[type(defect)]
        for part in message.walk()
        for defect in part.defects
        if type(defect) in _STRUCTURE_DEFECTS
    ]


def _charset_problems(message: EmailMessage) -> list[str]:
    return [
        f"unknown charset {one_line(charset)[:40]!r} in {name}"
        for name in _DECODED_HEADERS
        for value in _raw_values(message, name)
        for charset in _unknown_charsets(value)
    ]


def _encoding_problems(message: EmailMessage) -> list[str]:
    problems = []
    for part in message.walk():
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if not part.is_multipart() and encoding == "base64" and not _is_base64(part.get_payload()):
            problems.append("truncated or invalid base64 in a part")
    return problems


def _is_base64(payload: object) -> bool:
    compact = "".join(str(payload).split())
    return len(compact) % 4 == 0 and _BASE64_TEXT.fullmatch(compact) is not None


def _body_text(part: Message | None, problems: list[str]) -> str:
    """Return the plain text of the body part (HTML reduced to text), noting an unknown charset."""
    if part is None:
        return ""
    data = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    # ASCII is a subset of UTF-8, and mail labelled ASCII often is UTF-8.
    charset = "utf-8" if charset in ("us-ascii", "ascii") else charset
    if not _is_text_charset(charset):
        problems.append(f"unknown charset {one_line(charset)[:40]!r} in the text")
        return ""
    text = data.decode(charset, "replace")
    return html_to_text(text) if part.get_content_subtype() == "html" else clean_body(text)


def _sender(message: EmailMessage) -> tuple[str, str] | None:
    """Return the sender's lower-cased address and display name, if the From header has one."""
    try:
        header = message.get("From")
        addresses = header.addresses if header is not None else ()
    except Exception:  # unreadable From: treated as none
        return None
    for address in addresses:
        spec = one_line(address.addr_spec).lower()
        readable = " " not in spec and "\ufffd" not in spec and len(spec) <= ADDRESS_MAX
        if address.username and address.domain and readable:
            return spec, one_line(address.display_name)
    return None


def _header_addresses(message: EmailMessage, name: str) -> list[str]:
    try:
        headers = message.get_all(name) or []
        found = [a for header in headers for a in header.addresses if a.username and a.domain]
    except Exception:  # an unreadable To or Cc adds nobody; the envelope may still route it
        return []
    return [one_line(address.addr_spec) for address in found]


def _envelope_address(value: str) -> str | None:
    address = one_line(value).strip("<>").strip()
    return address if "@" in address and " " not in address and len(address) <= 320 else None


def _recipients(message: EmailMessage, envelope_to: Iterable[str]) -> list[str]:
    """Return the envelope recipients then the To and Cc addresses, each once."""
    candidates = [_envelope_address(value) for value in envelope_to]
    candidates += _header_addresses(message, "To") + _header_addresses(message, "Cc")
    unique: dict[str, str] = {}
    for address in candidates:
        if address:
            unique.setdefault(address.lower(), address)
    return list(unique.values())[:MAX_RECIPIENTS]


def _references(message: Message) -> list[str]:
    """Return the Message-IDs this message answers: In-Reply-To first, then References newest first."""
    replied = [i for v in _raw_values(message, "In-Reply-To") for i in _MESSAGE_ID.findall(one_line(v))]
    thread = [i for v in _raw_values(message, "References") for i in _MESSAGE_ID.findall(one_line(v))]
    ids = [i for i in dict.fromkeys(replied + thread[::-1]) if len(i) <= MESSAGE_ID_MAX]
    return ids[:MAX_REFERENCES]


def _first_word(value: str | None) -> str:
    return one_line(value or "").split(";")[0].strip().lower()[:40]


def auto_reply_reason(message: Message, sender: str) -> str | None:
    """Return why the message was sent by a machine (auto-reply, bounce, list), or None."""
    submitted = _first_word(_raw_value(message, "Auto-Submitted"))
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    precedence = _first_word(_raw_value(message, "Precedence"))
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if any(one_line(v).replace(" ", "") == "<>" for v in _raw_values(message, "Return-Path")):
        return "empty return path"
    local_part = sender.rpartition("@")[0]
    if local_part in _DAEMONS:
        return f"sent by {local_part}"
    for name in _AUTO_HEADERS:
        if _raw_value(message, name) is not None:
            return f"{name} header"
    if message.get_content_type() == "multipart/report":
        return "a delivery or read report"
    return None
