"""A per-process cache of rendered public shop pages, keyed on the shop's revision.

Public catalogue pages depend only on the shop's data, the theme and the page's
own parameters; the shop's revision changes with any of that data, so a cached
page is never stale. Nothing per-visitor may go into a cached page.

The same cache keeps read-only snapshots of a shop's public data (its catalogue) by
revision, for pages that are rendered for each visitor but show that data.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import TypeVar

from flask import Flask, current_app, g, request

from .models import utcnow

DEFAULT_SIZE = 512
# Snapshots kept: a few for each shop a worker serves (old revisions age out).
SNAPSHOT_SIZE = 256
T = TypeVar("T")


class PageCache:
    """A small thread-safe LRU of rendered pages."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._snapshots: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> str:
        """Return the cached page for ``key``, rendering and keeping it on a miss."""
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                return page
        page = render()
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return page

    def snapshot(self, key: Hashable, load: Callable[[], T]) -> T:
        """Return the snapshot for ``key``, loading and keeping it on a miss; kept whatever ``size`` is."""
        with self._lock:
            if key in self._snapshots:
                self._snapshots.move_to_end(key)
                return self._snapshots[key]
        value = load()
        with self._lock:
            self._snapshots[key] = value
            while len(self._snapshots) > SNAPSHOT_SIZE:
                self._snapshots.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every page and every snapshot."""
        with self._lock:
            self._pages.clear()
            self._snapshots.clear()


def shop_page(key: Hashable, render: Callable[[], str]) -> str:
    """Render a public page of the current shop once per shop revision and ``key``.

    Only visitors without a session share cached pages: a session may hold a sign-in
    or a cart, which the page header shows.
    """
    app = current_app._get_current_object()
    if not app.config["PAGE_CACHE_SIZE"] or app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return render()
    cache: PageCache = app.extensions["page_cache"]
    shop = g.shop
    return cache.get_or_render((shop.id, shop.revision, utcnow().year, key), render)


def shop_snapshot(name: str, load: Callable[[], T]) -> T:
    """Return read-only data of the current shop that only its revision changes, loaded once per revision.

    ``load`` must return values that are safe to share between requests and threads (no ORM objects).
    """
    cache: PageCache = current_app.extensions["page_cache"]
    return cache.snapshot((g.shop.id, g.shop.revision, name), load)


def init_app(app: Flask) -> None:
    """Give the app its page cache."""
    app.extensions["page_cache"] = PageCache(app.config["PAGE_CACHE_SIZE"] or 1)
