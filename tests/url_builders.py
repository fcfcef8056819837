"""Reuse werkzeug's compiled URL builders across the many apps the suite builds.

Every test builds its own app, and werkzeug compiles two Python functions for each of the app's
URL rules; that compiling was most of create_app()'s time. A builder depends only on the rule's
parsed parts, its defaults and its converters' types, so apps with the same rules can share one.
The tests alone install this: production builds its app once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing.rules import Rule

_compile_builder = Rule._compile_builder
_builders: dict[tuple, Callable[..., Any]] = {}


def _key(rule: Rule, append_unknown: bool) -> tuple:
    """Everything the compiled builder's code depends on."""
    converters = tuple((name, type(converter).__qualname__) for name, converter in rule._converters.items())
    defaults = repr(sorted((rule.defaults or {}).items()))
    return (rule.rule, tuple(rule._trace), defaults, converters, append_unknown)


def _shared_builder(self: Rule, append_unknown: bool = True) -> Callable[..., Any]:
    key = _key(self, append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _compile_builder(self, append_unknown)
    return builder


def install() -> None:
    """Share compiled URL builders between apps from now on."""
    Rule._compile_builder = _shared_builder
