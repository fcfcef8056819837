"""The SMTP listener for inbound mail: it checks each sender (DKIM, SPF, DMARC), stamps its own
Authentication-Results, and files the message through ``ingest``, trusting only that stamp."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask

from .authentication import Connection, authenticate, configured_lookups, stamp
from .intake import ingest

log = logging.getLogger(__name__)

ACCEPTED = "250 OK"
TRY_LATER = "451 4.3.0 Temporary failure, please try again later"


class InboundHandler:
    """An aiosmtpd handler that checks each sender and files the message; 451 asks for a retry when
    filing fails."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Check and file the message in a worker thread, so the listener keeps serving others."""
        content = envelope.original_content or envelope.content or b""
        raw = content.encode("utf-8", "surrogateescape") if isinstance(content, str) else bytes(content)
        connection = Connection(
            client_ip=str((session.peer or ("",))[0]),
            helo=_printable(session.host_name or ""),
            mail_from=_printable(envelope.mail_from or "").strip("<>").strip(),
        )
        recipients = [str(address) for address in envelope.rcpt_tos]
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.file, raw, recipients, connection)
        except Exception:  # ingest raises only when the database fails; the sender retries
            log.exception("inbound message deferred")
            return TRY_LATER
        return ACCEPTED

    def file(self, raw: bytes, recipients: list[str], connection: Connection) -> str:
        """Authenticate the sender, stamp the results, and ingest the message; return its outcome."""
        with self.app.app_context():
            config = self.app.config
            authserv_id = listener_authserv_id(self.app)
            if len(raw) <= config["INBOUND_MAX_BYTES"]:
                results = authenticate(raw, connection, authserv_id, configured_lookups(self.app))
            else:  # kept aside unread anyway: not worth the look-ups
                results = f"{authserv_id}; none"
            raw = with_return_path(connection.mail_from, stamp(raw, results, authserv_id))
            return ingest(raw, envelope_to=recipients, trusted_authserv_id=authserv_id).outcome.value


def listener_authserv_id(app: Flask) -> str:
    """Return the name `mail serve` signs its Authentication-Results with."""
    config = app.config
    return config["INBOUND_AUTHSERV_ID"] or config["INBOUND_SMTP_HOSTNAME"] or "localhost"


def _printable(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable()).strip()


def with_return_path(mail_from: str | None, raw: bytes) -> bytes:
    """Record the envelope sender as Return-Path, as a delivering MTA does; ``<>`` marks a bounce."""
    sender = _printable(mail_from or "").strip("<>").strip()
    return f"Return-Path: <{sender}>\r\n".encode("utf-8", "surrogateescape") + raw


def inbound_controller(app: Flask, host: str, port: int) -> Controller:
    """Return an unstarted SMTP listener on ``host:port`` that files mail into ``app``'s database."""
    return Controller(
        InboundHandler(app),
        hostname=host,
        port=port,
        server_hostname=app.config["INBOUND_SMTP_HOSTNAME"],
        ident="ESMTP",
        data_size_limit=app.config["INBOUND_SMTP_MAX_BYTES"],
        enable_SMTPUTF8=True,
    )


def wait_for_stop() -> None:
    """Block until Ctrl+C or SIGTERM."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
