"""The Flask application class: Flask, remembering work it would otherwise repeat on every request."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from inspect import iscoroutinefunction
from typing import Any

from flask import Flask
from flask.globals import _cv_request
from flask.templating import Environment
from jinja2.runtime import Context

# Memos are dropped whole when they reach these sizes (URLs name tickets, orders, ... without bound).
URL_MEMO_SIZE = 4096
SYNC_MEMO_SIZE = 1024
# Values a remembered URL may carry: their text in the URL depends on nothing but themselves.
PLAIN_VALUES = (str, int, Enum)


class TemplateContext(Context):
    """Jinja's template context, naming the globals only when a template imported as a module asks.

    Jinja lists every global's name for each context it makes, and makes one for every include
    (a table's status badge: one a row) although only ``{% import %}`` reads the list.
    """

    def __init__(self, environment, parent, name, blocks, globals=None) -> None:  # noqa: A002 (Jinja's name)
        self._globals = globals
        super().__init__(environment, parent, name, blocks)

    @property
    def globals_keys(self) -> set[str]:
        return set() if self._globals is None else set(self._globals)

    @globals_keys.setter
    def globals_keys(self, _names: set[str]) -> None:
        """Jinja's own assignment; the names are read from the globals when asked for."""


class TemplateEnvironment(Environment):
    """Flask's template environment with the context above (theme overlays inherit it)."""

    context_class = TemplateContext


class Storefront(Flask):
    """Flask, with URLs built once per request host and the sync check once per function."""

    jinja_environment = TemplateEnvironment

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._built_urls: dict[tuple, str] = {}
        self._sync_functions: dict[Callable, Callable] = {}

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        """Flask's url_for; a page's own URL to a named endpoint with plain values is built once.

        The app has no URL defaults and no rules added after start-up, so such a URL depends only
        on the request's host and root and on the endpoint and its values (in order, as the query
        string keeps their order).
        """
        ctx = _cv_request.get(None)  # the request context itself, not its proxy (read once, not three times)
        if ctx is None or _anchor or _method or _scheme or _external or endpoint[:1] == ".":
            return self._build_url(endpoint, _anchor, _method, _scheme, _external, values)
        if values:
            for value in values.values():
                if value is not None and not isinstance(value, PLAIN_VALUES):
                    return self._build_url(endpoint, _anchor, _method, _scheme, _external, values)
            # The values' types are in the key too: 1, True and 1.0 are equal keys but different URLs.
            values_key = (tuple(values.items()), tuple(map(type, values.values())))
        else:
            values_key = ()
        adapter = ctx.url_adapter
        key = (adapter.server_name, adapter.script_name, adapter.subdomain, endpoint, values_key)
        url = self._built_urls.get(key)
        if url is None:
            url = super().url_for(endpoint, **values)
            if len(self._built_urls) >= URL_MEMO_SIZE:
                self._built_urls.clear()
            self._built_urls[key] = url
        return url

    def _build_url(self, endpoint, _anchor, _method, _scheme, _external, values: dict[str, Any]) -> str:
        """Flask's url_for, unremembered."""
        return super().url_for(
            endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
        )

    def ensure_sync(self, func: Callable) -> Callable:
        """Flask's check for an ``async`` view or hook, made once per function rather than per request."""
        try:
            return self._sync_functions[func]
        except KeyError:
            pass
        except TypeError:  # not hashable
            return super().ensure_sync(func)
        synced = func if not iscoroutinefunction(func) else super().ensure_sync(func)
        if len(self._sync_functions) >= SYNC_MEMO_SIZE:
            self._sync_functions.clear()
        self._sync_functions[func] = synced
        return synced
