"""The development mail catcher: an SMTP server that keeps every email it is sent in a folder.

`make run` points the outbox's delivery at it, so each email the demo sends can be read with
`storefront mail caught` instead of reaching anyone.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask

SUFFIX = ".eml"
_serial = itertools.count()


def catcher_folder(app: Flask) -> Path:
    """Return the folder caught email is kept in: ``MAIL_CATCHER_FOLDER`` or instance/caught-mail."""
    folder = app.config.get("MAIL_CATCHER_FOLDER") or Path(app.instance_path) / "caught-mail"
    return Path(folder)


class CatchingHandler:
    """An aiosmtpd handler that writes each message it accepts to a file of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content: bytes = envelope.original_content or envelope.content
        keep(self.folder, content, envelope.rcpt_tos)
        return "250 2.0.0 Caught"


def keep(folder: Path, content: bytes, recipients: list[str]) -> Path:
    """Write one caught message to ``folder``, named so the names sort in the order caught."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{os.getpid()}-{next(_serial)}{SUFFIX}"
    envelope = "".join(f"X-Caught-For: {recipient}\r\n" for recipient in recipients).encode()
    path = folder / name
    partial = path.with_suffix(".part")
    partial.write_bytes(envelope + content)
    partial.rename(path)  # a reader never sees half a message
    return path


def catcher_controller(folder: Path, host: str, port: int) -> Controller:
    """Return an unstarted SMTP server on ``host:port`` that keeps what it receives in ``folder``."""
    return Controller(CatchingHandler(folder), hostname=host, port=port, ready_timeout=5)


@dataclass(frozen=True)
class CaughtEmail:
    """One caught email: its number in the listing (newest is 1) and the message."""

    number: int
    path: Path
    message: EmailMessage

    @property
    def summary(self) -> str:
        """One line: number, date, recipient and subject."""
        m = self.message
        return f"{self.number:>3}  {m.get('Date', '')}  {m.get('To', '')}  {m.get('Subject', '')}"


def caught_emails(folder: Path, last: int) -> list[CaughtEmail]:
    """Return the ``last`` newest caught emails, newest first."""
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob(f"*{SUFFIX}"), reverse=True)[:last]
    return [
        CaughtEmail(number, path, message_from_bytes(path.read_bytes(), policy=policy.default))
        for number, path in enumerate(paths, start=1)
    ]


def text_of(message: EmailMessage) -> str:
    """Return the plain-text body of ``message`` (or its HTML when it has no text part)."""
    body = message.get_body(preferencelist=("plain", "html"))
    return body.get_content() if body is not None else ""
