"""Whether a message's From address is proven: the trusted receiving server's Authentication-Results.

Only the topmost Authentication-Results field in the trusted server's name counts (RFC 8601 §5):
a sender can write any field it likes below it, in any name. It proves the sender with a DMARC
pass for the From domain, or, when it reports no DMARC failure, with a DKIM pass for a domain
aligned with the From domain (the same organisational domain).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import authres
import publicsuffix2

from ...mail.mailtext import one_line

_AUTHSERV_ID = re.compile(r"\s*(?:\([^()]*\)\s*)*([^\s;()]+)")
DETAIL_MAX = 200


@dataclass(frozen=True)
class SenderProof:
    """Whether the From address is proven, and the words saying by what (or why not)."""

    proven: bool
    detail: str


def authserv_id_of(value: str) -> str:
    """Return the authserv-id an Authentication-Results value names, lower-cased ("" if none)."""
    found = _AUTHSERV_ID.match(value)
    return found.group(1).lower() if found else ""


@lru_cache(maxsize=1024)
def organisational_domain(domain: str) -> str:
    """Return the registrable domain by the public suffix list: ``mail.example.co.uk`` →
    ``example.co.uk``; under a suffix the list does not know, the last two labels."""
    name = domain.lower().rstrip(".")
    suffix = publicsuffix2.get_tld(name) or name.rpartition(".")[2]
    labels, kept = name.split("."), len(suffix.split(".")) + 1
    return ".".join(labels[-kept:]) if len(labels) > kept else name


def aligned(domain: str, from_domain: str) -> bool:
    """True when two domains share an organisational domain (DMARC's relaxed alignment)."""
    if not domain or not from_domain:
        return False
    return organisational_domain(domain) == organisational_domain(from_domain)


def sender_proof(results: list[str], sender: str, trusted: str | None) -> SenderProof:
    """Read the topmost Authentication-Results of ``trusted`` among ``results`` (topmost first)."""
    if not trusted:
        return SenderProof(False, "no receiving server is trusted to check senders")
    from_domain = sender.rpartition("@")[2].lower()
    value = next((v for v in results if authserv_id_of(v) == trusted.lower()), None)
    if value is None:
        return SenderProof(False, f"no Authentication-Results from {trusted}")
    try:
        header = authres.AuthenticationResultsHeader.parse_value(one_line(value))
    except (authres.AuthResError, ValueError, IndexError):
        return SenderProof(False, f"unreadable Authentication-Results from {trusted}")
    return _judge(header.results, from_domain, trusted)


def _property(result: authres.AuthenticationResult, kind: str, name: str) -> str:
    for prop in result.properties or ():
        if prop.type.lower() == kind and prop.name.lower() == name:
            return str(prop.value or "").lower().rstrip(".")
    return ""


def _judge(results: list, from_domain: str, trusted: str) -> SenderProof:
    """Decide from one header's results; say what the server reported either way."""
    dmarc = [r for r in results if r.method.lower() == "dmarc"]
    dkim = [r for r in results if r.method.lower() == "dkim"]
    said = "; ".join(f"{r.method}={r.result}" for r in [*dmarc, *dkim]) or "no DMARC or DKIM result"
    for result in dmarc:
        if result.result.lower() == "pass" and _property(result, "header", "from") == from_domain:
            return SenderProof(True, _fit(f"{trusted}: dmarc=pass header.from={from_domain}"))
    if any(result.result.lower() == "fail" for result in dmarc):
        return SenderProof(False, _fit(f"{trusted} reports {said}"))
    for result in dkim:
        signer = _property(result, "header", "d")
        if result.result.lower() == "pass" and aligned(signer, from_domain):
            return SenderProof(True, _fit(f"{trusted}: dkim=pass header.d={signer}"))
    return SenderProof(False, _fit(f"{trusted} reports no aligned pass ({said})"))


def _fit(text: str) -> str:
    return text[:DETAIL_MAX]
