"""Proving control of a domain: the TXT record a shop owner creates, and looking it up in DNS."""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.name
import dns.resolver
from flask import current_app

RECORD_LABEL = "_shop-verification"
VALUE_PREFIX = "shop-verification="
SHOWN_VALUES = 3  # TXT values quoted back to the owner when none matches


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of one lookup: proven, or a message saying what was found and what to do."""

    proven: bool
    message: str = ""


def record_name(hostname: str) -> str:
    """Return the name of the TXT record that proves ``hostname``."""
    return f"{RECORD_LABEL}.{hostname}"


def record_value(token: str) -> str:
    """Return the value the TXT record must hold for a domain with this token."""
    return f"{VALUE_PREFIX}{token}"


def check_domain(hostname: str, token: str) -> Verification:
    """Look up the domain's verification record and say whether it holds this token."""
    name = record_name(hostname)
    timeout = float(current_app.config["DNS_TIMEOUT_SECONDS"])
    try:
        values = _txt_values(name, timeout)
    except dns.resolver.NXDOMAIN:
        return Verification(False, _missing(name))
    except dns.resolver.NoAnswer:
        return Verification(False, f"{name} exists but has no TXT record. {_create_it(name)}")
    except dns.exception.Timeout:
        return Verification(False, _timed_out(name, timeout))
    except (dns.exception.DNSException, ValueError, OSError) as error:
        # Refused, failed or misconfigured resolvers: the owner can only retry; operators see why.
        current_app.logger.warning("TXT lookup of %s failed: %r", name, error)
        return Verification(False, _unanswered(name))
    if record_value(token) in values:
        return Verification(True)
    return Verification(False, _wrong_value(name, values))


def _resolver(timeout: float) -> dns.resolver.Resolver:
    addresses = list(current_app.config["DNS_RESOLVER_ADDRESSES"])
    resolver = dns.resolver.Resolver(configure=not addresses)
    if addresses:
        resolver.port = int(current_app.config["DNS_RESOLVER_PORT"])  # before the addresses take it
        resolver.nameservers = addresses
    resolver.timeout = resolver.lifetime = timeout
    return resolver


def _txt_values(name: str, timeout: float) -> list[str]:
    """Return every TXT value at ``name``, each record's strings joined as DNS hosts split them."""
    answer = _resolver(timeout).resolve(dns.name.from_text(name), "TXT", search=False)
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def _create_it(name: str) -> str:
    return (
        f"Create a TXT record named {name} with the value shown below at the company that runs "
        "the domain's DNS, wait a few minutes for it to appear, then verify again."
    )


def _missing(name: str) -> str:
    return f"No record named {name} was found. {_create_it(name)}"


def _wrong_value(name: str, values: list[str]) -> str:
    shown = ", ".join(f"“{value[:80]}”" for value in values[:SHOWN_VALUES])
    found = f"The TXT record at {name} holds" if len(values) == 1 else f"The TXT records at {name} hold"
    return (
        f"{found} {shown}, not this domain's code. Set the value shown below (copy it whole), "
        "wait a few minutes, then verify again."
    )


def _timed_out(name: str, timeout: float) -> str:
    return (
        f"Looking up {name} took longer than {timeout:g} seconds, so the domain is not verified yet. "
        "Its DNS servers may be slow or unreachable: check the domain's nameservers at its "
        "registrar, then try again."
    )


def _unanswered(name: str) -> str:
    return (
        f"No DNS server gave an answer for {name}, so the domain is not verified yet. Check that "
        "the domain is registered and its nameservers are set at its registrar, then try again."
    )
