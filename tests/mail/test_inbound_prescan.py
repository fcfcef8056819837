"""The pre-scan: a message with too many MIME parts, or nested too deeply, is kept aside before any
full parse (bench/inbound_prescan.py measures the refusal of a 50,000-part message)."""

from __future__ import annotations

import pytest

from storefront.models import InboundOutcome, Ticket
from storefront.support.inbound.prescan import scan
from tests.mail.inbound_support import count, eml, file_email, shop_id
from tests.shop.helpers import outbox

HEAD = b"From: a@example.com\r\nTo: support@acme-hosting.test\r\nSubject: x\r\nMIME-Version: 1.0\r\n"


def many_parts(parts: int) -> bytes:
    """A message of ``parts`` tiny text parts, the shape that costs the full parser a minute at 50,000."""
    body = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\n%d\r\n" % number for number in range(parts))
    return HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + body + b"--b--\r\n"


def test_a_message_with_more_parts_than_the_cap_is_kept_aside_unparsed(app, demo) -> None:
    filed = file_email(app, eml("many-parts.eml"))

    assert filed.outcome == InboundOutcome.QUARANTINED
    assert filed.reason == "too many MIME parts: more than 100 (the limit)"
    assert filed.reseller_id == shop_id(app, "acme") and filed.subject == "Order log, one part per order"
    assert count(app, Ticket) == 0 and outbox(app) == []


def test_fifty_thousand_parts_are_refused(app, demo) -> None:
    filed = file_email(app, many_parts(50_000))
    assert (filed.outcome, filed.reason) == (
        InboundOutcome.QUARANTINED,
        "too many MIME parts: more than 100 (the limit)",
    )


def test_multiparts_nested_deeper_than_the_cap_are_kept_aside(app, demo) -> None:
    filed = file_email(app, eml("deeply-nested.eml"))
    assert filed.outcome == InboundOutcome.QUARANTINED
    assert filed.reason == "nested too deeply: more than 10 multipart levels (the limit)"


def test_the_caps_are_configuration(app, demo) -> None:
    app.config.update(INBOUND_MAX_PARTS=200, INBOUND_MAX_DEPTH=20)
    assert file_email(app, eml("many-parts.eml")).outcome == InboundOutcome.OPENED
    assert file_email(app, eml("deeply-nested.eml")).outcome == InboundOutcome.OPENED


@pytest.mark.parametrize(
    ("raw", "parts", "depth"),
    [
        (HEAD + b"\r\nplain text\r\n", 1, 0),
        (many_parts(3), 4, 1),
        # A boundary line must match exactly: "--b2" is no boundary of "b", nor "--bb".
        (
            HEAD + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n--bb\r\n--b2\r\n--b--\r\n",
            2,
            1,
        ),
        # An attached message counts as a level, and its own multipart as another.
        (
            HEAD
            + b"Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n"
            + b'From: b@example.com\r\nContent-Type: multipart/alternative;\r\n boundary="i"\r\n\r\n'
            + b"--i\r\nContent-Type: text/plain\r\n\r\nx\r\n"
            + b"--i\r\nContent-Type: text/html\r\n\r\n<p>x\r\n--i--\r\n"
            + b"--o\r\nContent-Type: text/plain\r\n\r\ny\r\n--o--\r\n",
            5,
            3,
        ),
        # After an inner multipart closes, the outer boundary goes on counting parts.
        (
            HEAD
            + b"Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/alternative; "
            + b"boundary=i\r\n\r\n--i\r\n\r\na\r\n--i--\r\n--o\r\n\r\nb\r\n--o\r\n\r\nc\r\n--o--\r\n",
            5,
            2,
        ),
    ],
)
def test_the_scan_counts_parts_and_levels(raw: bytes, parts: int, depth: int) -> None:
    found = scan(raw, 100, 10)
    assert (found.parts, found.depth, found.problem) == (parts, depth, None)


def test_the_scan_stops_at_the_first_limit_passed() -> None:
    found = scan(many_parts(50_000), 100, 10)
    assert (found.parts, found.problem) == (101, "too many MIME parts: more than 100 (the limit)")
