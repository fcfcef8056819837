"""Share what every app the suite builds compiles the same way: URL builders and templates.

Every test builds its own app. werkzeug compiles two Python functions for each of the app's URL
rules, which was most of create_app()'s time, and each app's Jinja environment compiles every
template it renders anew. Both depend only on their inputs, so apps with the same rules and
templates can share them. The tests alone install this: production builds its app once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache
from werkzeug.routing.rules import Rule

_compile_builder = Rule._compile_builder
_builders: dict[tuple, Callable[..., Any]] = {}


def _builder_key(rule: Rule, append_unknown: bool) -> tuple:
    """Everything the compiled builder's code depends on."""
    converters = tuple((name, type(converter).__qualname__) for name, converter in rule._converters.items())
    defaults = repr(sorted((rule.defaults or {}).items()))
    return (rule.rule, tuple(rule._trace), defaults, converters, append_unknown)


def _shared_builder(self: Rule, append_unknown: bool = True) -> Callable[..., Any]:
    key = _builder_key(self, append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _compile_builder(self, append_unknown)
    return builder


class TemplateCode(BytecodeCache):
    """Compiled templates kept in memory for every app's environments.

    Jinja's own key names only the template and its file; the code also depends on the
    environment's syntax options and on whether the template is autoescaped (an app's HTML and
    plain-text email environments compile the same file differently), so the key names those too.
    Jinja checks the source's checksum on every load, so an edited template compiles anew.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        autoescape = environment.autoescape
        escaped = autoescape(name) if callable(autoescape) else autoescape
        options = (
            escaped,
            environment.block_start_string,
            environment.block_end_string,
            environment.variable_start_string,
            environment.variable_end_string,
            environment.comment_start_string,
            environment.comment_end_string,
            environment.line_statement_prefix,
            environment.line_comment_prefix,
            environment.trim_blocks,
            environment.lstrip_blocks,
            environment.newline_sequence,
            environment.keep_trailing_newline,
            environment.optimized,
            environment.finalize is not None,
            environment.is_async,
            tuple(sorted(environment.extensions)),
        )
        key = self.get_cache_key(f"{name}\0{options!r}", filename)
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_templates = TemplateCode()


def install() -> None:
    """Share compiled URL builders between apps from now on."""
    Rule._compile_builder = _shared_builder


def share_templates(app: Flask) -> None:
    """Let ``app`` (and the overlays it makes later: themes, emails) reuse compiled templates."""
    app.jinja_env.bytecode_cache = _templates
