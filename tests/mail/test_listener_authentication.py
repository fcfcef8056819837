"""`mail serve` proves senders itself: DKIM, SPF and DMARC checked against the test DNS server, stamped
as its own Authentication-Results, and only that stamp believed."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from dataclasses import dataclass

import dkim
import pytest
from flask import Flask
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import InboundEmail, InboundOutcome, Ticket
from storefront.support.inbound.listener import inbound_controller
from tests.dns_server import RunningDnsServer
from tests.mail.inbound_support import FIXTURES, free_port
from tests.shop.helpers import outbox
from tests.steps import customer_id

OUR_ID = "mx.storefront.test"
SELECTOR = "test2026"
KEY = (FIXTURES / "dkim" / "test-dkim.key").read_bytes()
KEY_RECORD = (FIXTURES / "dkim" / "test-dkim.dns.txt").read_text().strip()
SIGNED_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]


@dataclass(frozen=True)
class Received:
    """What the listener stored: the outcome, whether the sender was proven, our stamp, the ticket."""

    outcome: InboundOutcome
    authenticated: bool
    stamp: str
    stamps: int
    ticket: Ticket | None


@pytest.fixture
def listener(app: Flask, demo, mail_dns: RunningDnsServer) -> Iterator[int]:
    """A running `mail serve` listener that names itself mx.storefront.test; yields its port."""
    app.config["INBOUND_AUTHSERV_ID"] = OUR_ID
    controller = inbound_controller(app, "127.0.0.1", free_port())
    controller.start()
    yield controller.port
    controller.stop()


def _message(name: str = "listener-message.eml") -> bytes:
    return (FIXTURES / name).read_bytes()


def _signed(raw: bytes, domain: str = "example.com") -> bytes:
    return dkim.sign(raw, SELECTOR.encode(), domain.encode(), KEY, include_headers=SIGNED_HEADERS) + raw


def _publish(
    dns: RunningDnsServer, *, key: bool = True, spf: str | None = None, dmarc: str | None = None
) -> None:
    if key:
        dns.records[f"{SELECTOR}._domainkey.example.com"] = [KEY_RECORD]
    if spf:
        dns.records["example.com"] = [spf]
    if dmarc:
        dns.records["_dmarc.example.com"] = [dmarc]


def _deliver(app: Flask, port: int, raw: bytes, mail_from: str = "aisyah@example.com") -> Received:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("mail.example.com")
        client.sendmail(mail_from, ["support@acme-hosting.test"], raw)
    with app.app_context():
        record = db.session.scalars(select(InboundEmail).order_by(InboundEmail.id.desc())).first()
        stamps = [
            line for line in record.raw.decode().splitlines() if line.startswith("Authentication-Results")
        ]
        ours = [line for line in stamps if line.startswith(f"Authentication-Results: {OUR_ID};")]
        ticket = db.session.get(Ticket, record.ticket_id) if record.ticket_id else None
        if ticket is not None:
            db.session.expunge(ticket)
        return Received(
            record.outcome, record.sender_authenticated, ours[0] if ours else "", len(ours), ticket
        )


def test_a_signed_message_with_a_dmarc_policy_is_the_verified_customers(app, listener, mail_dns) -> None:
    _publish(mail_dns, spf="v=spf1 ip4:127.0.0.1 -all", dmarc="v=DMARC1; p=reject")

    received = _deliver(app, listener, _signed(_message()))

    assert received.stamp == (
        f"Authentication-Results: {OUR_ID}; spf=pass smtp.mailfrom=aisyah@example.com; "
        "dkim=pass header.d=example.com; dmarc=pass header.from=example.com policy.dmarc=reject"
    )
    assert received.outcome == InboundOutcome.OPENED and received.authenticated
    assert received.ticket.customer_id == customer_id(app, "aisyah@example.com")
    assert [m.kind for m in outbox(app, to="aisyah@example.com")] == ["ticket_received"]
    # Every look-up went to the configured resolver: the test DNS server.
    assert {f"{SELECTOR}._domainkey.example.com", "_dmarc.example.com", "example.com"} <= set(
        mail_dns.resolver.queries
    )


def test_a_body_changed_after_signing_fails_dkim_and_dmarc(app, listener, mail_dns) -> None:
    _publish(mail_dns, dmarc="v=DMARC1; p=reject")
    tampered = _signed(_message()).replace(b"since Sunday night", b"since Monday night")

    received = _deliver(app, listener, tampered)

    assert "dkim=fail" in received.stamp and "header.d=example.com" in received.stamp
    assert "dmarc=fail header.from=example.com" in received.stamp
    assert received.outcome == InboundOutcome.OPENED and not received.authenticated
    assert received.ticket.customer_id is None and received.ticket.sender_unverified
    assert outbox(app, to="aisyah@example.com") == []


def test_a_signature_whose_key_is_not_published_proves_nothing(app, listener, mail_dns) -> None:
    _publish(mail_dns, key=False, dmarc="v=DMARC1; p=none")

    received = _deliver(app, listener, _signed(_message()))

    assert "dkim=permerror" in received.stamp and "dmarc=fail" in received.stamp
    assert not received.authenticated and received.ticket.sender_unverified


def test_spf_from_the_connecting_address_passes_dmarc_without_a_signature(app, listener, mail_dns) -> None:
    _publish(mail_dns, key=False, spf="v=spf1 ip4:127.0.0.1 -all", dmarc="v=DMARC1; p=quarantine; aspf=s")

    received = _deliver(app, listener, _message())

    assert "spf=pass smtp.mailfrom=aisyah@example.com; dkim=none" in received.stamp
    assert "dmarc=pass header.from=example.com policy.dmarc=quarantine" in received.stamp
    assert received.authenticated and received.ticket.customer_id == customer_id(app, "aisyah@example.com")


def test_spf_that_does_not_list_the_connecting_address_fails(app, listener, mail_dns) -> None:
    _publish(mail_dns, key=False, spf="v=spf1 ip4:192.0.2.1 -all", dmarc="v=DMARC1; p=reject")

    received = _deliver(app, listener, _message())

    assert "spf=fail smtp.mailfrom=aisyah@example.com" in received.stamp and "dmarc=fail" in received.stamp
    assert not received.authenticated and received.ticket.sender_unverified


def test_spf_alone_without_a_dmarc_record_proves_nothing(app, listener, mail_dns) -> None:
    _publish(mail_dns, key=False, spf="v=spf1 ip4:127.0.0.1 -all")

    received = _deliver(app, listener, _message())

    assert "spf=pass" in received.stamp and "dmarc=none" in received.stamp
    assert not received.authenticated


def test_an_aligned_signature_proves_the_sender_where_no_dmarc_record_exists(app, listener, mail_dns) -> None:
    _publish(mail_dns)

    received = _deliver(app, listener, _signed(_message()))

    assert "dkim=pass header.d=example.com" in received.stamp and "dmarc=none" in received.stamp
    assert received.authenticated and received.ticket.customer_id is not None


def test_a_signature_by_another_domain_is_not_aligned(app, listener, mail_dns) -> None:
    mail_dns.records[f"{SELECTOR}._domainkey.bulk-mailer.example"] = [KEY_RECORD]
    _publish(mail_dns, key=False, dmarc="v=DMARC1; p=none")

    received = _deliver(app, listener, _signed(_message(), domain="bulk-mailer.example"))

    assert "dkim=pass header.d=bulk-mailer.example" in received.stamp and "dmarc=fail" in received.stamp
    assert not received.authenticated and received.ticket.sender_unverified


def test_the_organisational_domains_policy_applies_to_a_subdomain(app, listener, mail_dns) -> None:
    _publish(mail_dns, key=False, dmarc="v=DMARC1; p=none; sp=reject")
    raw = _message().replace(b"aisyah@example.com", b"aisyah@shop.example.com")

    received = _deliver(app, listener, raw, mail_from="aisyah@shop.example.com")

    assert "dmarc=fail header.from=shop.example.com policy.dmarc=reject" in received.stamp
    assert {"_dmarc.shop.example.com", "_dmarc.example.com"} <= set(mail_dns.resolver.queries)


def test_a_header_in_our_name_written_by_the_sender_is_dropped(app, listener, mail_dns) -> None:
    raw = _message("listener-claims-our-id.eml")
    assert raw.count(f"Authentication-Results: {OUR_ID};".encode()) == 1  # the sender wrote a pass

    received = _deliver(app, listener, raw)

    assert received.stamps == 1 and "dkim=none" in received.stamp and "dmarc=none" in received.stamp
    assert not received.authenticated and received.ticket.sender_unverified
    assert outbox(app, to="aisyah@example.com") == []


def test_the_listener_ignores_headers_of_the_server_mail_ingest_trusts(app, listener, mail_dns) -> None:
    """mx.inbound.test vouches for mail piped to `mail ingest`, not for mail sent to the listener."""
    raw = (FIXTURES / "to-reseller-new-ticket.eml").read_bytes()

    received = _deliver(app, listener, raw)

    assert not received.authenticated and received.ticket.sender_unverified
