"""Themes: discovery, one memoised Jinja overlay per theme, render_themed(), theme assets."""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, g, url_for
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from werkzeug.security import safe_join

from .brand import brand_fingerprint

THEMES_DIR = Path(__file__).parent.parent / "themes"
DEFAULT_THEME = "default"


@cache
def available_themes() -> tuple[str, ...]:
    """Return the names of the shipped themes, the default first."""
    names = sorted(p.name for p in THEMES_DIR.iterdir() if (p / "templates").is_dir())
    names.remove(DEFAULT_THEME)
    return (DEFAULT_THEME, *names)


def theme_or_default(name: str) -> str:
    """Return ``name`` if it is a shipped theme, else the default theme."""
    return name if name in available_themes() else DEFAULT_THEME


def theme_environment(app: Flask, name: str) -> Environment:
    """Return the memoised Jinja overlay for a theme: its templates, then the default's."""
    environments: dict[str, Environment] = app.extensions.setdefault("theme_environments", {})
    theme = theme_or_default(name)
    if theme not in environments:
        search = [THEMES_DIR / theme / "templates", THEMES_DIR / DEFAULT_THEME / "templates"]
        loader = ChoiceLoader([FileSystemLoader(str(path)) for path in dict.fromkeys(search)])
        environments[theme] = app.jinja_env.overlay(loader=loader)
    return environments[theme]


def render_themed(template_name: str, **context: object) -> str:
    """Render a template in the current shop's theme with Flask's usual context."""
    app = current_app._get_current_object()
    template = theme_environment(app, g.shop.theme).get_template(template_name)
    app.update_template_context(context)
    return template.render(context)


@lru_cache(maxsize=1024)
def theme_asset_path(theme: str, filename: str) -> str | None:
    """Return the file serving ``filename`` for a theme, falling back to the default.

    Remembered, like the files' fingerprints: the shipped themes do not change while the app runs.
    """
    for candidate in dict.fromkeys((theme_or_default(theme), DEFAULT_THEME)):
        path = safe_join(str(THEMES_DIR / candidate / "static"), filename)
        if path is not None and Path(path).is_file():
            return path
    return None


def theme_file(path: str) -> Response:
    """A theme file as a response held in memory: nothing stays open if the client goes away."""
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return Response(Path(path).read_bytes(), mimetype=mimetype)


@cache
def asset_fingerprint(path: str) -> str:
    """Return the version of a theme file: a hash of its contents."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def theme_asset_url(filename: str) -> str:
    """Return the cache-busting URL of one of the current theme's static files."""
    path = theme_asset_path(g.shop.theme, filename)
    version = asset_fingerprint(path) if path else "missing"
    return url_for("shop.theme_asset", filename=filename, v=version)


def htmx_src() -> str:
    """Return where pages load htmx from: the CDN, or the pinned local copy."""
    if current_app.config["HTMX_USE_LOCAL"]:
        return url_for("static", filename="vendor/htmx.min.js")
    return current_app.config["HTMX_CDN_URL"]


def brand_version() -> str:
    """Return the current shop's brand fingerprint, to version its stylesheet URL."""
    return brand_fingerprint(g.shop)


def brand_stylesheet_url() -> str:
    """Return the versioned URL of the current shop's brand stylesheet (a preview passes its own)."""
    return url_for("shop.brand_css", v=brand_version())


def current_year() -> int:
    """Return the year in the current shop's time zone."""
    return datetime.now(ZoneInfo(g.shop.timezone)).year


def _shop_context() -> dict[str, object]:
    return {"shop": g.get("shop")}


def init_app(app: Flask) -> None:
    """Expose the theme helpers and the current shop to templates."""
    app.jinja_env.globals.update(
        theme_asset_url=theme_asset_url,
        htmx_src=htmx_src,
        brand_stylesheet_url=brand_stylesheet_url,
        current_year=current_year,
    )
    app.context_processor(_shop_context)
