"""Domain names a customer gives at checkout: IDNA, label rules, and the TLDs the shop sells."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

import idna

LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def is_ip_address(text: str) -> bool:
    """True for an IPv4 or IPv6 address written as text."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class InvalidDomain(ValueError):
    """The domain cannot be used; the message says why in plain words."""


def normalise_domain(raw: str) -> str:
    """Return the ASCII (punycode) form of a domain name, or raise InvalidDomain."""
    text = (raw or "").strip().lower().removesuffix(".")
    text = re.sub(r"^(https?://)?(www\.)?", "", text) if "://" in text else text
    if not text or len(text) > 253 or any(c.isspace() for c in text):
        raise InvalidDomain("Please enter a domain name such as example.com.my.")
    try:
        ascii_name = idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise InvalidDomain(f"“{raw.strip()[:80]}” is not a valid domain name.") from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or not all(LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise InvalidDomain(f"“{raw.strip()[:80]}” is not a valid domain name.")
    return ascii_name


def registrable_tld(domain: str, tlds_sold: set[str]) -> str:
    """Return the TLD a new registration falls under; the name must be one label under it."""
    for tld in sorted(tlds_sold, key=len, reverse=True):
        if domain.endswith(f".{tld}") and "." not in domain.removesuffix(f".{tld}"):
            return tld
    sold = ", ".join(f".{tld}" for tld in sorted(tlds_sold)) or "none"
    raise InvalidDomain(
        f"We register these endings: {sold}. Enter a name such as example.{min(tlds_sold or {'com'})}."
    )


@lru_cache(maxsize=4096)
def display_domain(ascii_name: str) -> str:
    """Return a domain as people read it (Unicode for IDNs); remembered, as pages show the same ones."""
    try:
        return idna.decode(ascii_name)
    except idna.IDNAError:
        return ascii_name
