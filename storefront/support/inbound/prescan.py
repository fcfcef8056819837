"""A cheap look at a message's MIME structure before any full parse: how many parts, how deep.

The standard parser builds an object for every part, so a message of tens of thousands of tiny
parts costs a minute of CPU. This walks the raw bytes from one boundary line to the next, reading
only the few header lines of each part, and stops as soon as a limit is passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...mail.rawmail import HEAD_MAX, split_head

PART_HEAD_MAX = 16 * 1024  # a part's header block is looked for this far, no further
_DASHES = re.compile(rb"^--", re.M)
_CONTENT_TYPE = re.compile(
    rb"^content-type[ \t]*:[ \t]*([a-z0-9!#$&^_.+-]+)/([a-z0-9!#$&^_.+-]+)(.*)$", re.I | re.M
)
_BOUNDARY = re.compile(rb"""boundary[ \t]*=[ \t]*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))""", re.I)
_FOLD = re.compile(rb"\r?\n[ \t]+")
_PART_HEAD_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class Structure:
    """What the walk found: parts counted and the deepest multipart nesting (up to where it stopped)."""

    parts: int
    depth: int
    problem: str | None  # why the message is refused, or None


_ATTACHED = {(b"message", b"rfc822"), (b"message", b"global")}  # a whole message as a part
_ATTACHED_MESSAGE = b"\x00attached message"


def _kind(head: bytes) -> tuple[bytes, bytes | None]:
    """Return ``multipart`` with its boundary, ``attached`` for a message part, or another main type."""
    found = _CONTENT_TYPE.search(_FOLD.sub(b" ", head))
    if found is None:
        return b"text", None
    main, sub = found.group(1).lower(), found.group(2).lower()
    if (main, sub) in _ATTACHED:
        return b"attached", None
    if main != b"multipart":
        return main, None
    boundary = _BOUNDARY.search(found.group(3))
    return main, (boundary.group(1) or boundary.group(2)).rstrip() if boundary else None


def _part_head(raw: bytes, start: int) -> tuple[bytes, int]:
    """Return the header block of the part starting at ``start`` and where its body begins."""
    if raw.startswith((b"\r\n", b"\n"), start):
        return b"", start
    end = _PART_HEAD_END.search(raw, start, start + PART_HEAD_MAX)
    if end is None:
        return b"", start
    return raw[start : end.start()], end.end()


def scan(raw: bytes, max_parts: int, max_depth: int) -> Structure:
    """Count the message's parts and nesting, stopping at the first limit passed."""
    head, _ = split_head(raw[: HEAD_MAX + 4])
    boundaries: list[bytes] = []
    parts, deepest = 1, 0
    position = _open(raw, head, len(head), boundaries, max_depth)
    deepest = len(boundaries)
    if deepest > max_depth:
        return Structure(parts, deepest, _too_deep(max_depth))
    while boundaries:
        found = _DASHES.search(raw, position)
        if found is None:
            break
        line_end = raw.find(b"\n", found.end())
        line_end = len(raw) if line_end < 0 else line_end + 1
        text = raw[found.end() : line_end].rstrip()
        position = line_end
        level = _level(text, boundaries)
        if level is None:
            continue
        if text == boundaries[level] + b"--":
            del boundaries[level:]
            continue
        del boundaries[level + 1 :]
        parts += 1
        if parts > max_parts:
            return Structure(parts, deepest, f"too many MIME parts: more than {max_parts:,} (the limit)")
        part_head, body = _part_head(raw, position)
        position = _open(raw, part_head, body, boundaries, max_depth)
        deepest = max(deepest, len(boundaries))
        if deepest > max_depth:
            return Structure(parts, deepest, _too_deep(max_depth))
    return Structure(parts, deepest, None)


def _too_deep(max_depth: int) -> str:
    return f"nested too deeply: more than {max_depth} multipart levels (the limit)"


def _level(text: bytes, boundaries: list[bytes]) -> int | None:
    """Return the nesting level whose boundary this ``--`` line is (innermost first), or None."""
    for level in range(len(boundaries) - 1, -1, -1):
        boundary = boundaries[level]
        if text == boundary or text == boundary + b"--":
            return level
    return None


def _open(raw: bytes, head: bytes, body: int, boundaries: list[bytes], max_depth: int) -> int:
    """Enter a part whose headers are ``head``: push a multipart's boundary, and a level for each
    attached message whose own headers follow; return where scanning goes on."""
    kind, boundary = _kind(head)
    while kind == b"attached" and len(boundaries) <= max_depth:
        boundaries.append(_ATTACHED_MESSAGE)  # a level that no boundary line closes early
        inner, body = _part_head(raw, body)
        kind, boundary = _kind(inner)
    if kind == b"multipart" and boundary:
        boundaries.append(boundary)
    return body
