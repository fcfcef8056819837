"""Reading inbound mail: defects, HTML to text, quoted replies, file names, Message-IDs."""

from __future__ import annotations

import pytest

from storefront.mail.attachments import AttachmentLimits, clean_filename, safe_content_type
from storefront.mail.mailtext import fit, html_to_text, one_line, strip_quoted_reply
from storefront.mail.parsing import MalformedEmail, message_id_of, parse_email
from storefront.support.inbound.intake import reply_token_of

LIMITS = AttachmentLimits(max_count=10, max_bytes=5 * 1024 * 1024)
HEAD = b"From: A <a@example.com>\r\nTo: support@acme-hosting.test\r\nSubject: Hi\r\nMIME-Version: 1.0\r\n"


def _problem(raw: bytes) -> str:
    with pytest.raises(MalformedEmail) as caught:
        parse_email(raw, [], LIMITS)
    return str(caught.value)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"To: support@acme-hosting.test\r\nSubject: Hi\r\n\r\nWho am I?\r\n", "no sender address (From)"),
        (b"From: undisclosed\r\nTo: x@y.test\r\n\r\nhi\r\n", "no sender address (From)"),
        (b"\x00\xff\xfe binary garbage \x89PNG", "no sender address (From)"),
        (b"", "no sender address (From)"),
        (
            HEAD + b"Content-Type: text/plain; charset=x-klingon\r\n\r\n\xe9\xff\r\n",
            "unknown charset 'x-klingon' in the text",
        ),
        (
            HEAD.replace(b"Subject: Hi", b"Subject: =?x-nope?Q?hi?=") + b"\r\nhello\r\n",
            "unknown charset 'x-nope' in Subject",
        ),
        (
            HEAD.replace(b"From: A", b"From: =?x-nope?B?QQ==?=") + b"\r\nhello\r\n",
            "unknown charset 'x-nope' in From",
        ),
        (
            HEAD + b"Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8gdGhpcyBpcyB0cnVuY2F0ZW\r\n",
            "truncated or invalid base64 in a part",
        ),
        (
            HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\nunclosed\r\n',
            "a multipart part is never closed",
        ),
        (
            HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\nno boundary line at all\r\n',
            "a multipart boundary is never found",
        ),
    ],
)
def test_each_defect_is_named(raw: bytes, problem: str) -> None:
    assert problem in _problem(raw)


def test_ordinary_quirks_are_not_defects() -> None:
    raw = (
        HEAD.replace(b"Subject: Hi", b"Subject: Caf\xc3\xa9 \xe7\xbd\x91")
        + b"Date: not a date\r\nContent-Type: text/plain; charset=us-ascii\r\n"
        + b"Content-Transfer-Encoding: base64\r\n\r\nQ2Fmw6k=\r\n"
    )
    email = parse_email(raw, [], LIMITS)
    assert (email.subject, email.body) == ("Café 网", "Café")


def test_recipients_come_from_the_envelope_then_to_and_cc_once_each() -> None:
    raw = HEAD + b"Cc: Other <SUPPORT@acme-hosting.test>, c@example.com\r\n\r\nhi\r\n"
    email = parse_email(raw, ["<Env@Example.com>", "not an address"], LIMITS)
    assert email.recipients == ["Env@Example.com", "support@acme-hosting.test", "c@example.com"]


def test_references_put_in_reply_to_first_then_the_newest_reference() -> None:
    raw = HEAD + b"In-Reply-To: <c@x>\r\nReferences: <a@x>\r\n <b@x> <c@x>\r\n\r\nhi\r\n"
    assert parse_email(raw, [], LIMITS).references == ["<c@x>", "<b@x>", "<a@x>"]


def test_message_ids() -> None:
    assert message_id_of(HEAD + b"Message-ID:  <abc@example.com> \r\n\r\n") == "<abc@example.com>"
    assert message_id_of(HEAD + b"Message-ID: abc@example.com\r\n\r\n") == "<abc@example.com>"
    made = message_id_of(HEAD + b"\r\nbody")
    assert made == message_id_of(HEAD + b"\r\nbody") != message_id_of(HEAD + b"\r\nother")
    long_id = message_id_of(HEAD + b"Message-ID: <" + b"x" * 400 + b"@example.com>\r\n\r\n")
    assert len(long_id) <= 255 and long_id.endswith("@long-id.invalid>")


def test_reply_tokens_are_read_from_plus_addresses_only() -> None:
    assert reply_token_of("support+Ab_c-1234567890XYZabcd@acme.test") == "Ab_c-1234567890XYZabcd"
    assert reply_token_of("help+acme+Ab_c-1234567890XYZabcd@mail.test") == "Ab_c-1234567890XYZabcd"
    assert reply_token_of("averylongmailboxname1234@acme.test") is None
    assert reply_token_of("support@acme.test") is None
    assert reply_token_of("support+short@acme.test") is None
    assert reply_token_of("support+bad$token$value$here@acme.test") is None


def test_html_becomes_readable_text_without_markup() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<h1>Order &amp; invoice</h1><p>Line&nbsp;one<br>Line two</p>"
        "<ul>\n <li>first</li>\n <li><a href='https://acme.test/z'>https://acme.test/z</a></li></ul>"
        '<p><a href="https://acme.test/x">my site</a> <a href="javascript:alert(1)">bad</a> '
        '<a href="https://acme.test/y">https://acme.test/y</a></p>'
        "<script>alert(1)</script><noscript>no script</noscript><p>&lt;b&gt; is a tag</p>"
        "<table><tr><td>a</td><td>b</td></tr></table><svg><text>drawn</text></svg><p>end"
    )
    assert html_to_text(html) == (
        "Order & invoice\n\nLine one\nLine two\n\n- first\n- https://acme.test/z\n\n"
        "my site (https://acme.test/x) bad https://acme.test/y\n\nno script\n\n<b> is a tag\n\na b\n\nend"
    )


def test_an_unclosed_script_hides_the_rest_rather_than_showing_it() -> None:
    assert html_to_text("<p>hello</p><script>alert(1)") == "hello"


def test_void_and_hidden_elements_do_not_swallow_or_add_text() -> None:
    html = '<p>a</p><embed src="x.swf"><template><li>hidden</li></template><p>b</p>'
    assert html_to_text(html) == "a\n\nb"


def test_quoted_replies_are_dropped_only_at_the_end() -> None:
    assert strip_quoted_reply("Thanks!\n\nOn Fri, Acme wrote:\n> old\n>\n> older\n") == "Thanks!"
    interleaved = "> question?\nanswer\n> another?\nanswer two"
    assert strip_quoted_reply(interleaved) == interleaved
    assert strip_quoted_reply("> only a quote") == "> only a quote"


def test_header_values_become_one_line() -> None:
    assert one_line("Help\r\nBcc: x@y\u2028X: 1\t") == "Help Bcc: x@y X: 1"
    assert fit("a" * 50, 30).endswith("[message shortened]") and len(fit("a" * 50, 30)) == 30


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("invoice\r\nX-Evil: 1.pdf", "invoiceX-Evil: 1.pdf"),
        ("photo\u202egnp.exe", "photognp.exe"),
        ("  spaced   name .txt ", "spaced name .txt"),
        ("..", "attachment"),
        ("", "attachment"),
        ("/", "attachment"),
    ],
)
def test_file_names_are_cleaned(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


def test_long_file_names_keep_their_extension() -> None:
    name = clean_filename("n" * 300 + ".tar.gz")
    assert len(name) == 200 and name.endswith("n.gz")


def test_content_types_are_kept_only_when_well_formed() -> None:
    assert safe_content_type("Image/PNG") == "image/png"
    assert safe_content_type("text/html\r\nX: y") == "application/octet-stream"
    assert safe_content_type("x/" + "y" * 200) == "application/octet-stream"
