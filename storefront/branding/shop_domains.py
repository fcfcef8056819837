"""A shop's custom domains and private nameservers: claim, prove, choose the primary, let go."""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..domain_names import InvalidDomain, display_domain, is_ip_address, normalise_domain
from ..extensions import db
from ..models import Domain, Nameserver, Reseller, utcnow
from .domain_verification import check_domain

MAX_DOMAINS = 20
NAMESERVER_SLOTS = 4
# Tenant scoping hides other shops' rows from ORM queries; these Core queries must see them.
_DOMAIN = Domain.__table__
_NAMESERVER = Nameserver.__table__


class DomainError(ValueError):
    """A domain or nameserver change cannot be made; the message says why in plain words."""


def add_domain(reseller: Reseller, raw: str) -> Domain:
    """Claim a domain for the shop, unverified, with a fresh verification token."""
    hostname = _usable_name(raw)
    shown = display_domain(hostname)
    if any(domain.hostname == hostname for domain in reseller.domains):
        raise DomainError(f"{shown} is already on your list.")
    if len(reseller.domains) >= MAX_DOMAINS:
        raise DomainError(f"A shop can have up to {MAX_DOMAINS} domains; remove one you no longer use first.")
    if _verified_elsewhere(hostname, reseller.id):
        raise DomainError(_taken(shown))
    domain = Domain(reseller_id=reseller.id, hostname=hostname, verification_token=secrets.token_hex(16))
    db.session.add(domain)
    _flush_or(f"{shown} is already on your list.")
    return domain


def verify_domain(reseller: Reseller, domain: Domain) -> None:
    """Look the domain's TXT record up and, when it holds the token, let the shop serve on it."""
    shown = display_domain(domain.hostname)
    if domain.verified_at is not None:
        return
    if _verified_elsewhere(domain.hostname, reseller.id):
        raise DomainError(_taken(shown))
    outcome = check_domain(domain.hostname, domain.verification_token)
    if not outcome.proven:
        raise DomainError(outcome.message)
    domain.verified_at = utcnow()
    # Two shops may prove the same name at once; the partial unique index lets only one win.
    _flush_or(_taken(shown))


def make_primary(reseller: Reseller, domain: Domain) -> None:
    """Use this verified domain in the shop's links and emails."""
    if domain.verified_at is None:
        raise DomainError(
            f"Verify {display_domain(domain.hostname)} first: only a verified domain can be primary."
        )
    if domain.is_primary:
        return
    for other in reseller.domains:
        other.is_primary = False
    db.session.flush()  # one primary per shop: clear the old one before setting the new
    domain.is_primary = True
    db.session.flush()


def remove_domain(reseller: Reseller, domain: Domain) -> None:
    """Stop serving the shop on this domain; links fall back to the slug host if it was primary.

    A verified domain that the shop's nameservers need (no other verified domain of the shop
    covers them) stays until they are renamed: nameservers always lie under a proven domain.
    """
    others = [d.hostname for d in reseller.domains if d.verified_at is not None and d is not domain]
    if domain.verified_at is not None:
        for ns in reseller.nameservers:
            if _under(ns.hostname, domain.hostname) and not any(_under(ns.hostname, d) for d in others):
                raise DomainError(
                    f"Your nameserver {display_domain(ns.hostname)} is under "
                    f"{display_domain(domain.hostname)}: rename your nameservers to names under another "
                    "verified domain first, then remove it."
                )
    db.session.delete(domain)
    db.session.flush()


def set_nameservers(reseller: Reseller, raw_names: list[str]) -> bool:
    """Replace the shop's private nameserver names; return False when nothing changed.

    Each name lies under a domain this shop has verified (and under none another shop has), so
    it is the shop's own: another shop holding it never proved it, and gives it up.
    """
    names = _nameserver_names(raw_names)
    if names == [ns.hostname for ns in reseller.nameservers]:
        return False
    proven = sorted(d.hostname for d in reseller.domains if d.verified_at is not None)
    for name in names:
        if _under_another_shops_domain(name, reseller.id):
            raise DomainError(
                f"{display_domain(name)} is under a domain another shop has verified; "
                "choose a name under a domain of your own."
            )
        if not any(_under(name, domain) for domain in proven):
            raise DomainError(_not_proven(name, proven))
    db.session.execute(
        _NAMESERVER.delete().where(
            _NAMESERVER.c.hostname.in_(names), _NAMESERVER.c.reseller_id != reseller.id
        )
    )
    reseller.nameservers.clear()
    db.session.flush()  # free the old positions and names before the new rows take them
    reseller.nameservers.extend(
        Nameserver(reseller_id=reseller.id, hostname=name, position=index)
        for index, name in enumerate(names, start=1)
    )
    _flush_or("One of these names was just taken by another shop; choose another name.")
    return True


def glue_records(names: list[str]) -> list[tuple[str, str]]:
    """Pair each nameserver name with the address its glue record points at."""
    addresses = current_app.config["PLATFORM_NAMESERVER_ADDRESSES"]
    if not addresses:
        return [(name, "") for name in names]
    return [(name, addresses[index % len(addresses)]) for index, name in enumerate(names)]


def _usable_name(raw: str) -> str:
    """Return the normalised name, refusing IP addresses and names the shop may not use."""
    text = (raw or "").strip()
    if len(text) > 253:
        raise DomainError("A domain name has at most 253 characters; please check the name you entered.")
    if is_ip_address(text.strip("[]")):
        raise DomainError("Enter a domain name such as shop.example.com, not an IP address.")
    try:
        hostname = normalise_domain(text)
    except InvalidDomain as error:
        raise DomainError(str(error)) from None
    _refuse_reserved(hostname)
    return hostname


def _refuse_reserved(hostname: str) -> None:
    config = current_app.config
    base = config["STOREFRONT_BASE_DOMAIN"]
    if _within(hostname, base):
        raise DomainError(
            f"Names under {base} are given out with each shop; yours already answers on one. "
            "Add a domain you own instead."
        )
    if _within(hostname, config["STAFF_HOST"]) or any(
        _within(hostname, d) for d in config["PLATFORM_DOMAINS"]
    ):
        raise DomainError("That name is reserved and cannot be used by a shop. Use a domain you own.")


def _nameserver_names(raw_names: list[str]) -> list[str]:
    filled = [raw for raw in raw_names if raw and raw.strip()]
    if len(filled) < 2:
        raise DomainError("Enter at least two nameserver names, such as ns1.example.com and ns2.example.com.")
    if len(filled) > NAMESERVER_SLOTS:
        raise DomainError(f"A shop can have up to {NAMESERVER_SLOTS} nameservers.")
    names = [_usable_name(raw) for raw in filled]
    for name in names:
        if names.count(name) > 1:
            raise DomainError(f"{display_domain(name)} appears twice; each nameserver needs its own name.")
    return names


def _not_proven(name: str, proven: list[str]) -> str:
    shown = display_domain(name)
    if not proven:
        return (
            f"{shown} is not under a domain your shop has verified, and it has none yet: "
            "add your own domain above and verify it, then name your nameservers under it."
        )
    domains = ", ".join(display_domain(domain) for domain in proven)
    return (
        f"{shown} is not under a domain your shop has verified. Name your nameservers under one of "
        f"your verified domains ({domains}), for example ns1.{display_domain(proven[0])}."
    )


def _under(hostname: str, domain: str) -> bool:
    """True when ``hostname`` is a name strictly below ``domain`` (ns1.example.com below example.com)."""
    return hostname.endswith(f".{domain}")


def _within(hostname: str, domain: str) -> bool:
    domain = domain.lower().removesuffix(".")
    return bool(domain) and (hostname == domain or hostname.endswith(f".{domain}"))


def _verified_elsewhere(hostname: str, reseller_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(_DOMAIN.c.id).where(
                _DOMAIN.c.hostname == hostname,
                _DOMAIN.c.verified_at.is_not(None),
                _DOMAIN.c.reseller_id != reseller_id,
            )
        )
    )


def _under_another_shops_domain(hostname: str, reseller_id: int) -> bool:
    """True when ``hostname`` is, or lies under, a domain that another shop has verified."""
    labels = hostname.split(".")
    names = [".".join(labels[index:]) for index in range(len(labels) - 1)]
    return bool(
        db.session.scalar(
            select(_DOMAIN.c.id)
            .where(
                _DOMAIN.c.hostname.in_(names),
                _DOMAIN.c.verified_at.is_not(None),
                _DOMAIN.c.reseller_id != reseller_id,
            )
            .limit(1)
        )
    )


def _taken(shown: str) -> str:
    return (
        f"{shown} is already verified by another shop, so it cannot be used here. "
        "If the domain is yours, contact support."
    )


def _flush_or(message: str) -> None:
    """Flush, turning a unique-constraint race into a message; the transaction is rolled back."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(message) from None
