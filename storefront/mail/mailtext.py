"""Turning what arrives in an email into safe plain text: header values, bodies, HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Control characters (tab included), and the Unicode line breaks some mail software honours.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# In a body, line breaks and tabs stay; other control characters (NUL included) go.
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BLANK_LINES = re.compile(r"\n{3,}")
_LINK_SCHEMES = ("http://", "https://", "mailto:")

# Elements whose content is never text a reader should see (none of them void, or it would never end).
_HIDDEN = frozenset(
    {"script", "style", "title", "template", "iframe", "object", "applet", "svg", "math"}
    | {"noembed", "noframes", "select", "textarea"}
)
# Elements that stand apart as paragraphs (a blank line) or start a new line.
_PARAGRAPHS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "dl", "hr"}
)
_LINES = frozenset(
    {"div", "li", "tr", "dt", "dd", "section", "article", "header", "footer", "main", "nav", "aside"}
    | {"address", "figure", "figcaption", "form", "fieldset", "center", "body", "caption"}
)
SHORTENED = "\n[message shortened]"


def unsurrogate(value: str) -> str:
    """Return ``value`` with raw bytes the parser kept as surrogates read as UTF-8."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def one_line(value: str) -> str:
    """Return ``value`` as one line: every run of control characters becomes one space."""
    return _CONTROL.sub(" ", unsurrogate(value)).strip()


def clean_body(value: str) -> str:
    """Return body text with Unix line ends, no control characters and no runs of blank lines."""
    text = unsurrogate(value).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in _BODY_CONTROL.sub("", text).split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def fit(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters, saying so when it was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - len(SHORTENED)].rstrip() + SHORTENED


def strip_quoted_reply(text: str) -> str:
    """Drop a trailing block of ``>`` quoted lines and its "… wrote:" line, if text remains."""
    lines = text.rstrip().split("\n")
    end = len(lines)
    while end and (lines[end - 1].startswith(">") or not lines[end - 1].strip()):
        end -= 1
    if end == len(lines):
        return text
    if end and lines[end - 1].rstrip().endswith("wrote:"):
        end -= 1
    kept = "\n".join(lines[:end]).rstrip()
    return kept or text


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML document; tags and attributes are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden_depth = 0
        self.pre_depth = 0
        self.breaks = 0  # line breaks owed before the next text
        self.link: tuple[str, list[str]] | None = None  # the open link's target and text

    def _break(self, count: int) -> None:
        self.breaks = max(self.breaks, count)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden_depth += 1
        elif self.hidden_depth:
            return
        elif tag == "br":
            self.breaks = min(self.breaks + 1, 2)
        elif tag in _PARAGRAPHS or tag in _LINES:
            self._break(2 if tag in _PARAGRAPHS else 1)
            self.pre_depth += tag == "pre"
            if tag == "li":
                self.parts.append("- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "a":
            self.link = (_safe_href(dict(attrs).get("href")), [])

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        elif self.hidden_depth:
            return
        elif tag in _PARAGRAPHS or tag in _LINES:
            self._break(2 if tag in _PARAGRAPHS else 1)
            self.pre_depth = max(0, self.pre_depth - (tag == "pre"))
        elif tag == "a" and self.link is not None:
            href, words = self.link
            text = "".join(words).strip()
            if href and text and text != href.removeprefix("mailto:"):
                self.parts.append(f" ({href})")
            self.link = None

    def handle_data(self, data: str) -> None:
        if self.hidden_depth:
            return
        if not self.pre_depth:
            data = re.sub(r"\s+", " ", data)
            if data == " " and self.breaks:
                return
        if self.breaks:
            # A pending "- " list marker stays after the break it belongs to.
            marker = self.parts.pop() if self.parts and self.parts[-1] == "- " else ""
            self.parts.append("\n" * self.breaks + marker)
            self.breaks = 0
        self.parts.append(data)
        if self.link is not None:
            self.link[1].append(data)


def _safe_href(href: str | None) -> str:
    """Return a link target worth showing as text (web or mail), else an empty string."""
    value = (href or "").strip()
    if len(value) > 2000 or _CONTROL.search(value) or " " in value:
        return ""
    return value if value.lower().startswith(_LINK_SCHEMES) else ""


def html_to_text(html: str) -> str:
    """Return the readable text of an HTML email: no markup, no script or style, entities decoded."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (line.strip() for line in "".join(extractor.parts).split("\n"))
    return clean_body("\n".join(lines))
