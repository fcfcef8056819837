"""The shop's addresses (custom domains, proven by DNS) and its private nameservers; owners only."""

from __future__ import annotations

from flask import abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..branding import shop_domains as claims
from ..branding.domain_verification import record_name, record_value
from ..branding.links import primary_host
from ..domain_names import display_domain
from ..extensions import db
from ..fulfilment.paid_orders import shop_nameservers
from ..htmx import is_htmx
from ..models import Domain, Reseller
from . import bp
from .auth import owner_required, record_team_action

NUMBER = "<int(max=2147483647):domain_number>"
FRAGMENTS = {"domains": "console/domains_list.html", "nameservers": "console/domains_nameservers.html"}


def _page_context(**form_state) -> dict:
    """Everything the page shows: a fixed number of queries however many domains."""
    domains = list(
        db.session.scalars(select(Domain).where(Domain.reseller_id == g.shop.id).order_by(Domain.hostname))
    )
    names = shop_nameservers(g.shop.id)
    return {
        "slug_host": f"{g.shop.slug}.{current_app.config['STOREFRONT_BASE_DOMAIN']}",
        "link_host": primary_host(g.shop),
        "domains": domains,
        "record_name": record_name,
        "record_value": record_value,
        "glue": claims.glue_records(names),
        "nameserver_values": form_state.pop("nameserver_values", None)
        or names + [""] * (claims.NAMESERVER_SLOTS - len(names)),
        **form_state,
    }


def _answer(part: str, *, error: str | None = None, done: str = "", **form_state) -> Response:
    """htmx gets the updated part of the page; a plain form gets the page (400) or a redirect."""
    if error:
        db.session.rollback()
    else:
        db.session.commit()
    notice = {"error": error} if error else {"done": done}
    if is_htmx():
        return make_response(render_template(FRAGMENTS[part], **_page_context(**form_state), **notice))
    if error:
        page = render_template("console/domains.html", **_page_context(**form_state), part=part, error=error)
        return make_response(page, 400)
    flash(done, "success")
    return redirect(url_for("console.domains"), 303)


def _own_domain(number: int) -> Domain:
    domain = db.session.scalar(select(Domain).where(Domain.number == number, Domain.reseller_id == g.shop.id))
    if domain is None:
        abort(404)
    return domain


@bp.get("/domains")
@owner_required
def domains() -> str:
    """The shop's addresses with their DNS instructions, and its private nameservers."""
    if is_htmx() and request.args.get("part") in FRAGMENTS:
        return render_template(FRAGMENTS[request.args["part"]], **_page_context())
    return render_template("console/domains.html", **_page_context(), part=None)


@bp.post("/domains")
@owner_required
def domains_add() -> Response:
    """Claim a domain; the page then shows the TXT record that proves it."""
    raw = request.form.get("hostname", "")[:300]
    try:
        domain = claims.add_domain(db.session.get(Reseller, g.shop.id), raw)
    except claims.DomainError as error:
        return _answer("domains", error=str(error), hostname_value=raw)
    shown = display_domain(domain.hostname)
    record_team_action(f"domain:{domain.id}", "domain_add", domain.hostname)
    return _answer("domains", done=f"{shown} added. Create its TXT record, then verify it.")


def _domain_step(number: int, step, action: str, done: str) -> Response:
    """Take one step on the shop's own domain; ``done`` names it with ``{domain}``."""
    domain = _own_domain(number)
    try:
        step(db.session.get(Reseller, g.shop.id), domain)
    except claims.DomainError as error:
        return _answer("domains", error=str(error))
    record_team_action(f"domain:{domain.id}", action, domain.hostname)
    return _answer("domains", done=done.format(domain=display_domain(domain.hostname)))


@bp.post(f"/domains/{NUMBER}/verify")
@owner_required
def domains_verify(domain_number: int) -> Response:
    """Look the domain's TXT record up; once it holds the token, the shop serves on the domain."""
    done = "{domain} is verified: your shop now answers on it."
    return _domain_step(domain_number, claims.verify_domain, "domain_verify", done)


@bp.post(f"/domains/{NUMBER}/primary")
@owner_required
def domains_primary(domain_number: int) -> Response:
    """Use this domain in the shop's links and emails."""
    done = "Links and emails now use {domain}."
    return _domain_step(domain_number, claims.make_primary, "domain_primary", done)


@bp.post(f"/domains/{NUMBER}/remove")
@owner_required
def domains_remove(domain_number: int) -> Response:
    """Stop serving the shop on this domain, at once."""
    domain = _own_domain(domain_number)
    subject, hostname = f"domain:{domain.id}", domain.hostname
    try:
        claims.remove_domain(db.session.get(Reseller, g.shop.id), domain)
    except claims.DomainError as error:
        return _answer("domains", error=str(error))
    record_team_action(subject, "domain_remove", hostname)
    return _answer("domains", done=f"{display_domain(hostname)} removed; your shop no longer answers on it.")


@bp.post("/domains/nameservers")
@owner_required
def domains_nameservers() -> Response:
    """Rename the shop's private nameservers; customers see the new names on their services."""
    raw_names = [name[:300] for name in request.form.getlist("nameserver")[: claims.NAMESERVER_SLOTS + 4]]
    try:
        changed = claims.set_nameservers(db.session.get(Reseller, g.shop.id), raw_names)
    except claims.DomainError as error:
        padded = raw_names + [""] * (claims.NAMESERVER_SLOTS - len(raw_names))
        return _answer("nameservers", error=str(error), nameserver_values=padded)
    if not changed:
        return _answer("nameservers", done="Nothing to change: these are already your nameservers.")
    names = shop_nameservers(g.shop.id)
    record_team_action(f"reseller:{g.shop.id}", "nameservers", ", ".join(names))
    return _answer("nameservers", done="Nameservers saved. Set up their glue records as shown.")
