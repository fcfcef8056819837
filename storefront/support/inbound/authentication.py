"""What `mail serve` proves about a sender by itself: DKIM (dkimpy), SPF (pyspf) and DMARC, stamped
as its own Authentication-Results (authres).

Every DNS question goes to the configured resolvers (DNS_RESOLVER_ADDRESSES and _PORT), so a
deployment chooses whom it believes, and tests answer from their own DNS server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

import authres
import dkim
import dkim.util
import dns.exception
import dns.name
import dns.resolver
import spf
from authheaders.dmarc_lookup import DMARCException, lookup_receiver_record
from authres.dmarc import DMARCAuthenticationResult
from flask import Flask

from ...mail.parsing import summary_of
from ...mail.rawmail import field_name, field_value, prepend_field, without_fields
from .sender_identity import authserv_id_of, organisational_domain

log = logging.getLogger(__name__)

MAX_SIGNATURES = 5  # DKIM signatures checked per message; each costs a DNS look-up
AUTHENTICATION_RESULTS = "Authentication-Results"


class LookupFailed(Exception):
    """The resolvers did not answer (timeout, refusal): a temporary error, never a "no"."""


@dataclass(frozen=True)
class Connection:
    """Who delivered the message: the client's address, its HELO name, the envelope sender."""

    client_ip: str
    helo: str
    mail_from: str  # "" for a bounce


class Lookups:
    """DNS look-ups through one resolver, in the shapes dkimpy, pyspf and authheaders ask for."""

    def __init__(self, resolver: dns.resolver.Resolver) -> None:
        self.resolver = resolver

    def answer(self, name: str, kind: str) -> list:
        """Return the records of ``kind`` at ``name`` ([] when there are none)."""
        try:
            found = self.resolver.resolve(dns.name.from_text(name), kind, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.exception.DNSException, ValueError, OSError) as error:
            raise LookupFailed(f"{kind} {name}: {type(error).__name__}") from error
        return list(found)

    def txt(self, name: str) -> list[bytes]:
        """Return every TXT value at ``name``, each record's strings joined."""
        return [b"".join(record.strings) for record in self.answer(name, "TXT")]

    def dkim_key(self, name: bytes, timeout: float = 5) -> bytes | None:
        """dkimpy's look-up of a key record: the first TXT value, or None."""
        try:
            values = self.txt(name.decode("ascii", "replace"))
        except LookupFailed as error:
            raise dkim.DnsTimeoutError(str(error)) from error
        return values[0] if values else None

    def dmarc_record(self, name: str) -> str | None:
        """authheaders' look-up of a DMARC record: the one TXT value that starts ``v=DMARC1``."""
        records = [v for v in self.txt(name) if v.startswith(b"v=DMARC1")]
        return records[0].decode("ascii", "replace") if len(records) == 1 else None

    def spf(self, name: str, kind: str, strict: bool = True, timeout: float = 20) -> list:
        """pyspf's look-up: ``((name, kind), value)`` pairs as its own dnspython look-up gives."""
        try:
            records = self.answer(name, kind)
        except LookupFailed as error:
            raise spf.TempError(f"DNS {error}") from error
        shaped: dict[str, Callable] = {
            "A": lambda r: r.address,
            "AAAA": lambda r: r.address,
            "MX": lambda r: (r.preference, r.exchange),
            "PTR": lambda r: r.target.to_text(True),
            "TXT": lambda r: r.strings,
        }
        return [((name, kind), shaped[kind](record)) for record in records] if kind in shaped else []


def configured_lookups(app: Flask) -> Lookups:
    """Return look-ups through the app's configured resolvers (this machine's when none are set)."""
    addresses = list(app.config["DNS_RESOLVER_ADDRESSES"])
    resolver = dns.resolver.Resolver(configure=not addresses)
    if addresses:
        resolver.port = int(app.config["DNS_RESOLVER_PORT"])  # before the addresses take it
        resolver.nameservers = addresses
    resolver.timeout = resolver.lifetime = float(app.config["DNS_TIMEOUT_SECONDS"])
    return Lookups(resolver)


_spf_lookups: ContextVar[Lookups | None] = ContextVar("spf_lookups", default=None)


def _spf_lookup(name: str, kind: str, strict: bool = True, timeout: float = 20) -> list:
    lookups = _spf_lookups.get()
    if lookups is None:  # outside `authenticate`: this machine's resolvers
        lookups = Lookups(dns.resolver.Resolver())
    return lookups.spf(name, kind, strict, timeout)


# pyspf looks names up through this module-level function (its tests replace it the same way);
# ours asks the resolvers of the check in progress instead of the machine's.
spf.DNSLookup = _spf_lookup


def check_spf(connection: Connection, lookups: Lookups) -> authres.SPFAuthenticationResult:
    """Check the envelope sender (or, for a bounce, the HELO name) against the client's address."""
    if not connection.mail_from and not connection.helo:
        return authres.SPFAuthenticationResult(result="none")
    sender = connection.mail_from or f"postmaster@{connection.helo}"
    token = _spf_lookups.set(lookups)
    try:
        result, _, _ = spf.query(
            i=connection.client_ip,
            s=sender,
            h=connection.helo or "unknown",
            timeout=lookups.resolver.lifetime,
        ).check()
    except Exception:  # a pyspf edge case must not lose the message; the result is then an error
        result = "temperror"
    finally:
        _spf_lookups.reset(token)
    if connection.mail_from:
        return authres.SPFAuthenticationResult(result=result, smtp_mailfrom=connection.mail_from)
    return authres.SPFAuthenticationResult(result=result, smtp_helo=connection.helo)


def check_dkim(raw: bytes, lookups: Lookups) -> list[authres.DKIMAuthenticationResult]:
    """Verify each DKIM signature (the first few), saying which domain signed."""
    try:
        verifier = dkim.DKIM(raw, logger=log, timeout=lookups.resolver.lifetime)
    except Exception:  # unreadable headers: no signature can be checked
        return []
    signatures = [value for name, value in verifier.headers if name.lower() == b"dkim-signature"]
    return [
        _verify(verifier, index, value, lookups) for index, value in enumerate(signatures[:MAX_SIGNATURES])
    ]


def _verify(
    verifier: dkim.DKIM, index: int, value: bytes, lookups: Lookups
) -> authres.DKIMAuthenticationResult:
    try:
        signer = dkim.util.parse_tag_value(value).get(b"d", b"").decode("ascii", "replace").lower()
    except Exception:  # a signature that does not parse is a permanent error
        return authres.DKIMAuthenticationResult(result="permerror", result_comment="unreadable signature")
    key_problem: list[str] = []  # dkimpy answers False for a missing key too; this tells them apart

    def key(name: bytes, timeout: float = 5) -> bytes | None:
        try:
            found = lookups.dkim_key(name, timeout)
        except dkim.DnsTimeoutError:
            key_problem.append("temperror")
            raise
        if found is None:
            key_problem.append("permerror")
        return found

    try:
        result = "pass" if verifier.verify(idx=index, dnsfunc=key) else "fail"
    except Exception:  # dkim.ValidationError and the like: the signature does not hold
        result = "fail"
    if result == "fail" and key_problem:
        result = key_problem[0]
    return authres.DKIMAuthenticationResult(result=result, header_d=signer or None)


def _aligned(domain: str, from_domain: str, mode: str) -> bool:
    if not domain:
        return False
    if mode == "s":
        return domain == from_domain
    return organisational_domain(domain) == organisational_domain(from_domain)


def check_dmarc(
    from_domain: str,
    spf_result: authres.SPFAuthenticationResult,
    dkim_results: list[authres.DKIMAuthenticationResult],
    connection: Connection,
    lookups: Lookups,
) -> DMARCAuthenticationResult:
    """Apply the From domain's DMARC record (or its organisational domain's) to the SPF and DKIM results."""
    if not from_domain:
        return DMARCAuthenticationResult(result="none", result_comment="no From domain")
    try:
        record, policy_domain = _dmarc_record(from_domain, lookups)
    except LookupFailed:
        return DMARCAuthenticationResult(result="temperror", header_from=from_domain)
    except DMARCException:
        return DMARCAuthenticationResult(result="permerror", header_from=from_domain)
    if not record.get("p"):
        return DMARCAuthenticationResult(result="none", header_from=from_domain)
    policy = record.get("sp", record["p"]) if policy_domain != from_domain else record["p"]
    envelope_domain = (connection.mail_from or f"@{connection.helo}").rpartition("@")[2].lower()
    spf_ok = spf_result.result == "pass" and _aligned(envelope_domain, from_domain, record.get("aspf", "r"))
    dkim_ok = any(
        r.result == "pass" and _aligned(r.header_d or "", from_domain, record.get("adkim", "r"))
        for r in dkim_results
    )
    result = "pass" if spf_ok or dkim_ok else "fail"
    return DMARCAuthenticationResult(result=result, header_from=from_domain, policy=policy)


def _dmarc_record(from_domain: str, lookups: Lookups) -> tuple[dict, str]:
    """Return the DMARC record for the From domain, else its organisational domain's, and where it was."""
    organisational = organisational_domain(from_domain)
    for domain in dict.fromkeys((from_domain, organisational)):
        record = lookup_receiver_record(domain, lookups.dmarc_record)
        if record:
            return record, domain
    return {}, organisational


def authenticate(raw: bytes, connection: Connection, authserv_id: str, lookups: Lookups) -> str:
    """Return this server's Authentication-Results value for a message as it was received."""
    sender = summary_of(raw).sender
    from_domain = sender.rpartition("@")[2].lower() if "@" in sender else ""
    spf_result = check_spf(connection, lookups)
    dkim_results = check_dkim(raw, lookups) or [authres.DKIMAuthenticationResult(result="none")]
    dmarc_result = check_dmarc(from_domain, spf_result, dkim_results, connection, lookups)
    header = authres.AuthenticationResultsHeader(
        authserv_id=authserv_id, results=[spf_result, *dkim_results, dmarc_result]
    )
    return str(header).partition(":")[2].strip()


def stamp(raw: bytes, value: str, authserv_id: str) -> bytes:
    """Put our results on top, removing every field that already claims our authserv-id (RFC 8601 §5)."""

    def claims_ours(field: bytes) -> bool:
        return field_name(field) == b"authentication-results" and authserv_id_of(field_value(field)) == (
            authserv_id.lower()
        )

    return prepend_field(without_fields(raw, claims_ours), AUTHENTICATION_RESULTS, value)
