"""`storefront mail ingest` and `storefront mail serve`: mail in from a pipe and over SMTP."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from storefront import create_app
from storefront.extensions import db
from storefront.models import InboundEmail, InboundOutcome, Ticket
from storefront.support.inbound import listener as server
from storefront.support.inbound.listener import inbound_controller
from tests.mail.inbound_support import FIXTURES, count, eml, free_port, shop_id


def _records(app: Flask) -> list[tuple[InboundOutcome, int | None, str]]:
    with app.app_context():
        rows = db.session.scalars(select(InboundEmail).order_by(InboundEmail.id))
        return [(row.outcome, row.reseller_id, row.message_id) for row in rows]


@pytest.fixture
def unreachable_app(tmp_path: Path) -> Iterator[Flask]:
    """An app whose database cannot be opened: its folder does not exist."""
    url = f"sqlite:///{tmp_path / 'missing' / 'storefront.db'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_ingest_files_one_message_from_standard_input(app, demo) -> None:
    result = app.test_cli_runner().invoke(args=["mail", "ingest"], input=eml("to-reseller-new-ticket.eml"))

    assert result.exit_code == 0, result.output
    with app.app_context():
        inbound_id, ticket_id = db.session.execute(select(InboundEmail.id, InboundEmail.ticket_id)).one()
        number = db.session.get(Ticket, ticket_id).number  # the reason names the shop's number
    assert (
        result.output
        == f"opened (inbound {inbound_id}, ticket {ticket_id}): new ticket {number} from its customer\n"
    )
    assert _records(app) == [(InboundOutcome.OPENED, shop_id(app, "acme"), "<new-ticket-1@mail.example.com>")]


def test_ingest_also_reads_a_message_file(app, demo) -> None:
    result = app.test_cli_runner().invoke(args=["mail", "ingest", str(FIXTURES / "bounce.eml")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("auto_reply (inbound ")


def test_ingest_takes_envelope_recipients(app, demo) -> None:
    raw = eml("to-reseller-new-ticket.eml", {"support@acme-hosting.test": "list@example.com"})
    result = app.test_cli_runner().invoke(
        args=["mail", "ingest", "--envelope-to", "support@kedaihosting.test"], input=raw
    )
    assert result.exit_code == 0, result.output
    assert _records(app)[0][:2] == (InboundOutcome.OPENED, shop_id(app, "kedai"))


def test_ingest_keeps_malformed_mail_and_still_succeeds(app, demo) -> None:
    result = app.test_cli_runner().invoke(args=["mail", "ingest"], input=eml("malformed.eml"))

    assert result.exit_code == 0, result.output
    assert result.output.startswith("quarantined (inbound ") and "malformed: " in result.output
    assert _records(app)[0][0] == InboundOutcome.QUARANTINED


def test_ingest_asks_the_mail_server_to_retry_when_the_database_is_unreachable(unreachable_app) -> None:
    runner = unreachable_app.test_cli_runner()
    result = runner.invoke(args=["mail", "ingest"], input=eml("to-reseller-new-ticket.eml"))

    assert result.exit_code == 75
    assert "database unavailable, try again later" in result.output


def _send(port: int, raw: bytes, recipients: list[str], sender: str = "aisyah@example.com") -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail(sender, recipients, raw)


def test_the_smtp_handler_files_each_message_with_its_envelope(app, demo, mail_dns) -> None:
    controller = inbound_controller(app, "127.0.0.1", free_port())
    controller.start()
    try:
        refused = _send(controller.port, eml("to-reseller-new-ticket.eml"), ["support@acme-hosting.test"])
        routed_by_envelope = eml("encoded-malay-chinese.eml", {"support@kedaihosting.test": "x@example.com"})
        _send(controller.port, routed_by_envelope, ["support@kedaihosting.test"], "raj@example.org")
        _send(controller.port, eml("malformed.eml"), ["support@acme-hosting.test"], "broken@example.com")
        _send(controller.port, eml("to-reseller-new-ticket.eml"), ["support@acme-hosting.test"])
    finally:
        controller.stop()

    assert refused == {}
    assert [record[:2] for record in _records(app)] == [
        (InboundOutcome.OPENED, shop_id(app, "acme")),
        (InboundOutcome.OPENED, shop_id(app, "kedai")),
        (InboundOutcome.QUARANTINED, shop_id(app, "acme")),
    ]  # the fourth, a repeat of the first, is accepted and stored once
    assert count(app, Ticket) == 2


def test_the_smtp_handler_answers_451_when_the_database_is_unreachable(unreachable_app) -> None:
    unreachable_app.config["INBOUND_MAX_BYTES"] = 10  # too large to check: no DNS look-up before the failure
    controller = inbound_controller(unreachable_app, "127.0.0.1", free_port())
    controller.start()
    try:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            _send(controller.port, eml("to-reseller-new-ticket.eml"), ["support@acme-hosting.test"])
    finally:
        controller.stop()
    assert refused.value.smtp_code == 451


def test_the_smtp_listener_greets_without_naming_its_software(app) -> None:
    app.config["INBOUND_SMTP_HOSTNAME"] = "mx.acme-hosting.test"
    controller = inbound_controller(app, "127.0.0.1", free_port())
    controller.start()
    try:
        with smtplib.SMTP() as client:
            code, greeting = client.connect("127.0.0.1", controller.port)
    finally:
        controller.stop()
    assert (code, greeting) == (220, b"mx.acme-hosting.test ESMTP")


def test_serve_listens_until_stopped(app, demo, mail_dns, monkeypatch) -> None:
    port = free_port()

    def deliver_then_stop() -> None:
        _send(port, eml("to-reseller-new-ticket.eml"), ["support@acme-hosting.test"])

    monkeypatch.setattr(server, "wait_for_stop", deliver_then_stop)
    result = app.test_cli_runner().invoke(args=["mail", "serve", "--port", str(port)])

    assert result.exit_code == 0, result.output
    assert f"Receiving mail on 127.0.0.1:{port}" in result.output and "Stopped." in result.output
    assert _records(app)[0][:2] == (InboundOutcome.OPENED, shop_id(app, "acme"))


def test_the_smtp_listener_never_answers_mail_with_an_empty_envelope_sender(app, demo, mail_dns) -> None:
    controller = inbound_controller(app, "127.0.0.1", free_port())
    controller.start()
    try:
        _send(controller.port, eml("to-reseller-new-ticket.eml"), ["support@acme-hosting.test"], "")
    finally:
        controller.stop()
    assert [record[0] for record in _records(app)] == [InboundOutcome.AUTO_REPLY]
    assert count(app, Ticket) == 0
