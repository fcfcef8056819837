"""The header block of a raw message as bytes: its fields, a digest of its content, and stamping it.

These work on the bytes as received, without the email package, so that they are cheap on any
message, however large or malformed, and change nothing but the fields they name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

HEAD_MAX = 256 * 1024
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_FIELD_START = re.compile(rb"^[^ \t\r\n]", re.M)
# Fields every receiving hop adds or rewrites: two copies of one message differ only in these.
TRACE_FIELDS = frozenset(
    {
        b"received",
        b"return-path",
        b"authentication-results",
        b"arc-seal",
        b"arc-message-signature",
        b"arc-authentication-results",
        b"delivered-to",
        b"x-original-to",
    }
)


def split_head(raw: bytes) -> tuple[bytes, bytes]:
    """Return the header block (with its line ends) and the rest (the blank line and the body)."""
    end = _HEAD_END.search(raw, 0, HEAD_MAX)
    if raw.startswith((b"\r\n", b"\n")):
        return b"", raw
    if end is None:
        return raw, b""
    cut = end.start() + (2 if raw[end.start() : end.start() + 2] == b"\r\n" else 1)
    return raw[:cut], raw[cut:]


def fields(head: bytes) -> list[bytes]:
    """Return each header field of a header block, folded lines kept with the field they continue."""
    starts = [match.start() for match in _FIELD_START.finditer(head)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return [
        head[start:end] for start, end in zip(starts, [*starts[1:], len(head)], strict=True) if end > start
    ]


def field_name(field: bytes) -> bytes:
    """Return a field's name, lower-cased (empty for a line that is not a field)."""
    name, colon, _ = field.partition(b":")
    return name.strip().lower() if colon else b""


def field_value(field: bytes) -> str:
    """Return a field's value unfolded onto one line, bytes that are not UTF-8 replaced."""
    value = field.partition(b":")[2]
    return re.sub(rb"\r?\n[ \t]", b" ", value).strip().decode("utf-8", "replace")


def content_digest(raw: bytes) -> str:
    """Return a SHA-256 of the message without its trace fields, line ends made alike."""
    head, rest = split_head(raw)
    kept = b"".join(field for field in fields(head) if field_name(field) not in TRACE_FIELDS)
    return hashlib.sha256((kept + rest).replace(b"\r\n", b"\n")).hexdigest()


def line_end(raw: bytes) -> bytes:
    """Return the line end the message uses."""
    head, _ = split_head(raw)
    return b"\r\n" if b"\r\n" in head[:HEAD_MAX] or (not head and raw.startswith(b"\r\n")) else b"\n"


def without_fields(raw: bytes, drop: Callable[[bytes], bool]) -> bytes:
    """Return the message with every header field for which ``drop`` is true removed."""
    head, rest = split_head(raw)
    return b"".join(field for field in fields(head) if not drop(field)) + rest


def prepend_field(raw: bytes, name: str, value: str) -> bytes:
    """Return the message with a new header field on top, in the message's own line ends."""
    eol = line_end(raw)
    folded = value.replace("\r", "").replace("\n", " ")
    return f"{name}: {folded}".encode("utf-8", "surrogateescape") + eol + raw
