"""Fixtures for mail: a real SMTP server in the test process, a DNS server for the inbound listener,
and outbox helpers."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from flask import Flask
from sqlalchemy import select

from storefront.extensions import db
from storefront.mail import DeliveryReport, deliver_due, queue_email
from storefront.models import OutboxMessage, Reseller
from tests.dns_server import RunningDnsServer, dns_server


@dataclass
class Delivered:
    """One message the server accepted: its envelope and its raw and parsed content."""

    mail_from: str
    rcpt_tos: list[str]
    raw: str
    message: EmailMessage


class RecordingHandler:
    """An aiosmtpd handler that keeps what it accepts and refuses the next messages on demand."""

    def __init__(self) -> None:
        self.delivered: list[Delivered] = []
        self.logins: list[tuple[str, str]] = []
        self._refusals: list[tuple[str, str]] = []

    def refuse_next(self, reply: str, *, count: int = 1, at: str = "DATA") -> None:
        """Answer ``reply`` at the RCPT or DATA stage of the next ``count`` messages."""
        self._refusals += [(at, reply)] * count

    def _refusal(self, stage: str) -> str | None:
        if self._refusals and self._refusals[0][0] == stage:
            return self._refusals.pop(0)[1]
        return None

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address, options):
        refusal = self._refusal("RCPT")
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        refusal = self._refusal("DATA")
        if refusal:
            return refusal
        content: bytes = envelope.original_content or envelope.content
        parsed = message_from_bytes(content, policy=policy.default)
        self.delivered.append(
            Delivered(envelope.mail_from, list(envelope.rcpt_tos), content.decode("utf-8"), parsed)
        )
        return "250 2.0.0 Accepted"

    def authenticate(self, server, session, envelope, mechanism: str, auth_data) -> AuthResult:
        """Accept any login and record it."""
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)


class SmtpServer:
    """An aiosmtpd server on a fixed local port that a test can stop and start again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    @property
    def delivered(self) -> list[Delivered]:
        """Return the messages accepted so far."""
        return self.handler.delivered

    def start(self, *, with_auth: bool = False) -> None:
        """Listen on the port (offering AUTH without TLS if asked)."""
        options = {"authenticator": self.handler.authenticate, "auth_require_tls": False} if with_auth else {}
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, server_hostname="mx.test", **options
        )
        self._controller.start()

    def stop(self) -> None:
        """Stop listening; connections to the port are then refused."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[SmtpServer]:
    """A running SMTP server the app's outbox delivers to; stopped after the test."""
    server = SmtpServer(_free_port())
    app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=server.port, MAIL_SMTP_TIMEOUT=5)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def queue(app: Flask) -> Callable[..., int]:
    """Return a function that queues an email from a shop (by slug), commits, and returns the row id."""

    def make(slug: str = "acme", to: str = "aisyah@example.com", subject: str = "Your invoice", **kw) -> int:
        with app.app_context():
            shop = db.session.scalar(select(Reseller).where(Reseller.slug == slug))
            message = queue_email(
                shop,
                to,
                kw.get("kind", "test"),
                subject,
                kw.get("text", "Hello."),
                kw.get("html"),
                about=None,
            )
            db.session.commit()
            return message.id

    return make


@pytest.fixture
def deliver(app: Flask) -> Callable[..., DeliveryReport]:
    """Return a function that runs one delivery pass in an app context."""

    def run(**kwargs) -> DeliveryReport:
        with app.app_context():
            return deliver_due(**kwargs)

    return run


@pytest.fixture
def outbox_row(app: Flask) -> Callable[[int], OutboxMessage]:
    """Return a function that loads an outbox row as it stands in the database, detached."""

    def load(message_id: int) -> OutboxMessage:
        with app.app_context():
            row = db.session.get(OutboxMessage, message_id)
            db.session.expunge(row)
            return row

    return load


@pytest.fixture
def mail_dns(app: Flask) -> Iterator[RunningDnsServer]:
    """The test DNS server, the only resolver the app asks (the listener's DKIM, SPF and DMARC look-ups)."""
    with dns_server() as server:
        app.config.update(
            DNS_RESOLVER_ADDRESSES=["127.0.0.1"], DNS_RESOLVER_PORT=server.port, DNS_TIMEOUT_SECONDS=2
        )
        yield server
