"""Per-shop files: theme assets, brand stylesheet, logo, favicon, robots.txt."""

from __future__ import annotations

from flask import Response, abort, g, request
from sqlalchemy import select

from ..branding.brand import brand_fingerprint, brand_stylesheet, plain_favicon
from ..branding.theming import asset_fingerprint, theme_asset_path, theme_file
from ..extensions import db
from ..models import Reseller
from . import bp

YEAR = 365 * 24 * 3600
ROBOTS = """User-agent: *
Allow: /
Disallow: /account
Disallow: /cart
Disallow: /checkout
Disallow: /console
"""


def _cached(response: Response, etag: str, *, immutable: bool) -> Response:
    """Answer 304 when the client has this version; the current version's URL is cached for a year."""
    response.set_etag(etag)
    response.cache_control.public = True
    if immutable:
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    return response.make_conditional(request)


@bp.get("/theme/<path:filename>")
def theme_asset(filename: str) -> Response:
    """Serve a static file of the shop's theme, falling back to the default theme."""
    path = theme_asset_path(g.shop.theme, filename)
    if path is None:
        abort(404)
    # Only the URL of this very file's version is cached for a year; any other could pin a stale file.
    version = asset_fingerprint(path)
    return _cached(theme_file(path), version, immutable=request.args.get("v") == version)


@bp.get("/brand.css")
def brand_css() -> Response:
    """The shop's brand colours and logo as CSS custom properties."""
    response = Response(brand_stylesheet(g.shop), mimetype="text/css")
    version = brand_fingerprint(g.shop)
    return _cached(response, version, immutable=request.args.get("v") == version)


def _load_deferred(column) -> bytes | None:
    return db.session.scalar(select(column).where(Reseller.id == g.shop.id))


@bp.get("/logo")
def logo() -> Response:
    """The shop's logo image, stored in the database."""
    if not g.shop.logo_etag:
        abort(404)
    response = Response(_load_deferred(Reseller.logo_image), mimetype=g.shop.logo_mime)
    return _cached(response, g.shop.logo_etag, immutable=request.args.get("v") == g.shop.logo_etag)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The shop's favicon, made from its logo, or a square of its brand colour."""
    if g.shop.logo_etag:
        icon, etag = _load_deferred(Reseller.favicon_ico), f"ico-{g.shop.logo_etag}"
    else:
        icon, etag = plain_favicon(g.shop.color_primary), f"ico-{g.shop.color_primary[1:]}"
    response = Response(icon, mimetype="image/vnd.microsoft.icon")
    return _cached(response, etag, immutable=False)


@bp.get("/robots.txt")
def robots() -> Response:
    """Let crawlers read the catalogue but not the private areas."""
    return Response(ROBOTS, mimetype="text/plain")
