"""The SMTP listener for inbound mail: each message received is filed through ``ingest``."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask

from .inbound import ingest

log = logging.getLogger(__name__)

ACCEPTED = "250 OK"
TRY_LATER = "451 4.3.0 Temporary failure, please try again later"


class InboundHandler:
    """An aiosmtpd handler that files each message; 451 asks the sender to retry when filing fails."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """File the message in a worker thread, so the listener keeps serving other connections."""
        content = envelope.original_content or envelope.content or b""
        raw = content.encode("utf-8", "surrogateescape") if isinstance(content, str) else bytes(content)
        raw = with_return_path(envelope.mail_from, raw)
        recipients = [str(address) for address in envelope.rcpt_tos]
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.file, raw, recipients)
        except Exception:  # ingest raises only when the database fails; the sender retries
            log.exception("inbound message deferred")
            return TRY_LATER
        return ACCEPTED

    def file(self, raw: bytes, recipients: list[str]) -> str:
        """Ingest one message in its own app context; return its outcome."""
        with self.app.app_context():
            return ingest(raw, envelope_to=recipients).outcome.value


def with_return_path(mail_from: str | None, raw: bytes) -> bytes:
    """Record the envelope sender as Return-Path, as a delivering MTA does; ``<>`` marks a bounce."""
    sender = "".join(ch for ch in (mail_from or "") if ch.isprintable()).strip().strip("<>").strip()
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
