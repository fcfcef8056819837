"""Shared steps for inbound mail tests: the fixture emails in tests/fixtures/mail, and filing a message."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import InboundOutcome
from storefront.support.inbound.intake import ingest
from tests.steps import shop_id  # noqa: F401  (shared here for these tests)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"


def eml(name: str, replacements: dict[str, str] | None = None) -> bytes:
    """Return a fixture message's bytes, with placeholder text replaced."""
    raw = (FIXTURES / name).read_bytes()
    for old, new in (replacements or {}).items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


@dataclass(frozen=True)
class Filed:
    """What the InboundEmail row of a filed message says."""

    id: int
    message_id: str
    outcome: InboundOutcome
    reason: str
    reseller_id: int | None
    ticket_id: int | None
    from_address: str
    to_address: str
    subject: str


def file_email(app: Flask, raw: bytes, envelope_to: list[str] | None = None) -> Filed:
    """Ingest ``raw`` in an app context and return what its record says."""
    with app.app_context():
        record = ingest(raw, envelope_to=envelope_to)
        return Filed(
            record.id,
            record.message_id,
            record.outcome,
            record.reason,
            record.reseller_id,
            record.ticket_id,
            record.from_address,
            record.to_address,
            record.subject,
        )


def count(app: Flask, model: type) -> int:
    """Return how many rows ``model`` has."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def free_port() -> int:
    """Return a loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
