"""The request's host picks its audience: one reseller's shop, the staff console, or nothing."""

from __future__ import annotations

import ipaddress
import re

from flask import Flask, Response, current_app, g, request
from sqlalchemy import select

from .extensions import db
from .models import Domain, Reseller, bind_tenant

LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
PORT = re.compile(r"^[0-9]{1,5}$")


def normalise_host(raw: str) -> str | None:
    """Return the host name without port or trailing dot, lower-cased; None if unusable."""
    host = raw.strip().lower()
    if not host or len(host) > 300 or host.startswith("["):
        return None
    name, sep, port = host.partition(":")
    if sep and not PORT.match(port):
        return None
    name = name.removesuffix(".")
    if _is_ip_address(name) or len(name) > 253:
        return None
    if not all(LABEL.match(label) for label in name.split(".")):
        return None
    return name


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def find_reseller(host: str, base_domain: str) -> Reseller | None:
    """Return the active reseller a normalised host belongs to, if any."""
    slug = host.removesuffix(f".{base_domain}")
    if slug != host and "." not in slug:
        query = select(Reseller).where(Reseller.slug == slug)
    else:
        query = (
            select(Reseller)
            .join(Domain, Domain.reseller_id == Reseller.id)
            .where(Domain.hostname == host, Domain.verified_at.is_not(None))
        )
    return db.session.scalar(query.where(Reseller.active.is_(True)))


def plain_not_found() -> Response:
    """An answer for hosts we do not serve: no brand, no hint of who runs the server."""
    return Response("Not Found\n", status=404, mimetype="text/plain")


def resolve_audience() -> Response | None:
    """Set ``g.reseller`` or ``g.is_staff_host`` from the Host header, or answer 404."""
    g.reseller = None
    g.is_staff_host = False
    host = normalise_host(request.host)
    if host is None:
        return plain_not_found()
    if host == current_app.config["STAFF_HOST"]:
        g.is_staff_host = True
        return None
    reseller = find_reseller(host, current_app.config["STOREFRONT_BASE_DOMAIN"])
    if reseller is None:
        return plain_not_found()
    g.reseller = reseller
    bind_tenant(db.session, reseller.id)
    return None


def init_app(app: Flask) -> None:
    """Resolve the audience before anything else runs."""
    app.before_request_funcs.setdefault(None, []).insert(0, resolve_audience)
