"""Page arithmetic shared by the console's paged lists."""

from __future__ import annotations

from typing import ClassVar

LAST_PAGE = 100_000


def page_number(raw: str | None) -> int:
    """Return the page asked for; anything that is not a positive whole number means page 1."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    return LAST_PAGE if len(text) > 6 else min(max(int(text), 1), LAST_PAGE)


def page_count(total: int, per_page: int) -> int:
    """Return how many pages ``total`` rows fill, ``per_page`` to a page (at least one)."""
    return max(1, -(-total // per_page))


class PageCount:
    """For a page dataclass with ``total`` (rows matching) and ``page`` (the one asked for)."""

    per_page: ClassVar[int]
    total: int
    page: int

    @property
    def pages(self) -> int:
        """Return the number of pages (at least one)."""
        return page_count(self.total, self.per_page)

    @property
    def beyond_end(self) -> bool:
        """True when the page asked for lies past the last page."""
        return self.page > self.pages
