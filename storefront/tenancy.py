"""The request's host picks its audience: one reseller's shop, the staff console, or nothing."""

from __future__ import annotations

import re
from functools import lru_cache

from flask import Flask, Response, current_app, g, request

from .branding.shops import find_shop
from .domain_names import LABEL, is_ip_address
from .extensions import db
from .models import bind_tenant

PORT = re.compile(r"^[0-9]{1,5}$")


@lru_cache(maxsize=1024)
def normalise_host(raw: str) -> str | None:
    """Return the host name without port or trailing dot, lower-cased; None if unusable.

    Remembered for the last hosts seen: every request asks, and a shop is asked for by a few names.
    """
    host = raw.strip().lower()
    if not host or len(host) > 300 or host.startswith("["):
        return None
    name, sep, port = host.partition(":")
    if sep and not PORT.match(port):
        return None
    name = name.removesuffix(".")
    if is_ip_address(name) or len(name) > 253:
        return None
    if not all(LABEL.match(label) for label in name.split(".")):
        return None
    return name


def plain_not_found() -> Response:
    """An answer for hosts we do not serve: no brand, no hint of who runs the server."""
    return Response("Not Found\n", status=404, mimetype="text/plain")


def resolve_audience() -> Response | None:
    """Set ``g.shop`` or ``g.is_staff_host`` from the Host header, or answer 404."""
    request_globals = g._get_current_object()  # every request asks: each proxy lookup counts
    request_globals.shop = None
    request_globals.is_staff_host = False
    host = normalise_host(request.host)
    if host is None:
        return plain_not_found()
    config = current_app.config
    if host == config["STAFF_HOST"]:
        request_globals.is_staff_host = True
        return None
    shop = find_shop(host, config["STOREFRONT_BASE_DOMAIN"])
    if shop is None:
        return plain_not_found()
    request_globals.shop = shop
    # The request's database session is scoped to the shop when it is made; one already made (a
    # request inside an application context that used the database) is scoped now.
    if db.session.registry.has():
        bind_tenant(db.session, shop.id)
    return None


def init_app(app: Flask) -> None:
    """Resolve the audience before anything else runs."""
    app.before_request_funcs.setdefault(None, []).insert(0, resolve_audience)
