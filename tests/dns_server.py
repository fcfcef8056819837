"""A real DNS server on loopback whose TXT records a test controls, and one that never answers.

Its TXT records serve domain verification tokens as well as mail authentication: DKIM keys
(``<selector>._domainkey.<domain>``), SPF policies and DMARC records (``_dmarc.<domain>``).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class TxtRecords(BaseResolver):
    """Answers TXT queries from ``records``: name -> values; a name listed with no values has no TXT."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.queries: list[str] = []

    def resolve(self, request, handler):
        """Answer one query: the TXT values, no answer, or NXDOMAIN for a name not listed."""
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        self.queries.append(name)
        if name not in self.records:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.TXT:
            for value in self.records[name]:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(_strings(value)), ttl=60))
        return reply


def _strings(value: str) -> list[bytes]:
    """Split a TXT value into the 255-byte strings one record holds (a DKIM key is longer)."""
    data = value.encode()
    return [data[start : start + 255] for start in range(0, len(data), 255)] or [b""]


@dataclass
class RunningDnsServer:
    """A DNS server listening on 127.0.0.1:port."""

    port: int
    resolver: TxtRecords = field(repr=False)

    @property
    def records(self) -> dict[str, list[str]]:
        """The TXT records served, by lower-case name."""
        return self.resolver.records


@contextmanager
def dns_server() -> Iterator[RunningDnsServer]:
    """Run a DNS server on a free UDP port of 127.0.0.1 for the duration of the block."""
    resolver = TxtRecords()
    quiet = DNSLogger(log="-request,-reply,-truncated,-error", logf=lambda *args: None)
    server = DNSServer(resolver, address="127.0.0.1", port=0, logger=quiet).server
    # A short poll interval: shutting down waits for the serving loop's next look.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield RunningDnsServer(server.server_address[1], resolver)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def silent_udp_port() -> Iterator[int]:
    """Hold a UDP port on 127.0.0.1 that receives queries and never answers them."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        yield sink.getsockname()[1]


def closed_udp_port() -> int:
    """Return a UDP port on 127.0.0.1 that nothing listens on (queries to it are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
