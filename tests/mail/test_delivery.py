"""Delivering the outbox to a real SMTP server: branding, retries, refusals, at-least-once."""

from __future__ import annotations

from datetime import timedelta
from email.headerregistry import Address

import pytest
from sqlalchemy import select, update

from storefront.extensions import db
from storefront.mail import deliver_due, send_templated
from storefront.models import OutboxMessage, OutboxStatus, Reseller, utcnow
from tests.leakguard import find_leaks

EXPECTED_HEADERS = {
    "From",
    "To",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
}


def _minutes_from_now(minutes: float):
    return utcnow() + timedelta(minutes=minutes)


def test_a_queued_email_reaches_the_customer_in_the_shops_name(
    app, demo, smtp_server, deliver, outbox_row
) -> None:
    with app.app_context():
        acme = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        queued = send_templated(
            acme,
            "aisyah@example.com",
            "verify_email",
            about=None,
            customer_name="Nur Aisyah",
            verify_url="https://shop.acme-hosting.test/verify/abc",
        )
        db.session.commit()
        message_id = queued.id

    report = deliver()

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [delivered] = smtp_server.delivered
    email = delivered.message
    assert email["From"].addresses == (Address("Acme Hosting", addr_spec="support@acme-hosting.test"),)
    assert email["Reply-To"] == "support@acme-hosting.test"
    assert email["To"] == "aisyah@example.com"
    assert email["Subject"] == "Confirm your email address for Acme Hosting"
    assert email["Auto-Submitted"] == "auto-generated"
    assert email["Message-ID"].endswith("@shop.acme-hosting.test>")
    assert delivered.mail_from == "support@acme-hosting.test"
    assert delivered.rcpt_tos == ["aisyah@example.com"]
    assert set(email.keys()) == EXPECTED_HEADERS  # no X-Mailer or anything naming software
    assert email.get_content_type() == "multipart/alternative"
    assert "https://shop.acme-hosting.test/verify/abc" in email.get_body(("plain",)).get_content()
    assert "Acme Hosting" in email.get_body(("html",)).get_content()
    assert find_leaks(app.config, delivered.raw) == []
    row = outbox_row(message_id)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 1, None)
    assert row.sent_at is not None and email["Message-ID"] == row.message_id


def test_a_brand_name_with_quotes_and_non_ascii_arrives_intact(
    app, make_reseller, smtp_server, queue, deliver
) -> None:
    brand = 'Kedai "Murah" Ñoño 好'
    make_reseller("murah", brand_name=brand, support_email="hello@murah.test")
    queue(slug="murah", subject="Terima kasih — 谢谢")

    deliver()

    [delivered] = smtp_server.delivered
    assert delivered.message["From"].addresses == (Address(brand, addr_spec="hello@murah.test"),)
    assert delivered.message["Subject"] == "Terima kasih — 谢谢"
    assert delivered.message["Message-ID"].endswith("@murah.test>")


def test_when_the_server_is_down_the_email_waits_and_is_later_sent_once_with_the_same_id(
    app, demo, smtp_server, queue, deliver, outbox_row
) -> None:
    smtp_server.stop()
    message_id = queue()
    stored_id = outbox_row(message_id).message_id

    down = deliver()

    assert (down.sent, down.retrying, down.failed) == (0, 0, 0)
    assert "ConnectionRefusedError" in down.unreachable
    row = outbox_row(message_id)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 0)  # no server answered: no attempt
    assert row.next_attempt_at <= utcnow() and row.last_error.startswith("relay unreachable: ")
    smtp_server.start()
    assert deliver().sent == 1  # back up: the message was due all along
    assert deliver().sent == 0

    [delivered] = smtp_server.delivered
    assert delivered.message["Message-ID"] == stored_id
    row = outbox_row(message_id)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 1, None)


def test_an_outage_longer_than_the_retry_schedule_fails_nothing(
    app, demo, smtp_server, queue, deliver, outbox_row
) -> None:
    smtp_server.stop()
    message_id = queue()
    for day in range(1, 8):  # a week of runs against an unreachable relay
        report = deliver(now=utcnow() + timedelta(days=day))
        assert (report.failed, report.unreachable is not None) == (0, True)
    row = outbox_row(message_id)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 0)
    smtp_server.start()
    assert deliver().sent == 1
    assert outbox_row(message_id).status == OutboxStatus.SENT


def test_storefront_mail_send_exits_75_when_the_relay_is_unreachable(
    app, demo, smtp_server, queue, outbox_row
) -> None:
    smtp_server.stop()
    message_id = queue()

    result = app.test_cli_runner().invoke(args=["mail", "send"])

    assert result.exit_code == 75
    assert result.stdout.strip() == "sent 0, retrying 0, failed 0"
    assert f"the mail relay 127.0.0.1:{smtp_server.port} cannot be reached" in result.stderr
    assert outbox_row(message_id).status == OutboxStatus.QUEUED


def test_a_dead_server_ends_the_run_without_touching_the_other_messages(
    app, demo, smtp_server, queue, deliver, outbox_row
) -> None:
    smtp_server.stop()
    first, second = queue(), queue(to="someone@example.com")

    report = deliver()

    assert (report.sent, report.retrying, report.unreachable is not None) == (0, 0, True)
    assert (outbox_row(first).attempts, outbox_row(second).attempts) == (0, 0)
    assert outbox_row(first).last_error and outbox_row(second).last_error is None


@pytest.mark.parametrize(
    ("stage", "reply"), [("RCPT", "450 4.2.1 Mailbox busy"), ("DATA", "451 4.3.0 Try again later")]
)
def test_a_temporary_refusal_is_retried_later(
    app, demo, smtp_server, queue, deliver, outbox_row, stage, reply
) -> None:
    smtp_server.handler.refuse_next(reply, at=stage)
    message_id = queue()
    stored_id = outbox_row(message_id).message_id

    refused = deliver()

    assert (refused.sent, refused.retrying, refused.failed) == (0, 1, 0)
    row = outbox_row(message_id)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 1)
    assert row.last_error.startswith(reply[:3])
    assert deliver(now=_minutes_from_now(2)).sent == 1
    assert [d.message["Message-ID"] for d in smtp_server.delivered] == [stored_id]


@pytest.mark.parametrize(
    ("stage", "reply"), [("RCPT", "550 5.1.1 No such user"), ("DATA", "554 5.7.1 Rejected as spam")]
)
def test_a_permanent_refusal_fails_at_once_and_is_never_retried(
    app, demo, smtp_server, queue, deliver, outbox_row, stage, reply
) -> None:
    smtp_server.handler.refuse_next(reply, at=stage)
    message_id = queue()

    refused = deliver()

    assert (refused.sent, refused.retrying, refused.failed) == (0, 0, 1)
    row = outbox_row(message_id)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert row.last_error.startswith(reply[:3])
    assert deliver(now=_minutes_from_now(60 * 24 * 30)).sent == 0
    assert smtp_server.delivered == []


def test_the_retry_schedule_backs_off_and_then_gives_up(
    app, demo, smtp_server, queue, deliver, outbox_row
) -> None:
    app.config["MAIL_RETRY_MINUTES"] = [1, 5]
    smtp_server.handler.refuse_next("451 4.3.0 Try again later", count=3)
    message_id = queue()
    now = utcnow()

    assert deliver(now=now).retrying == 1
    assert outbox_row(message_id).next_attempt_at == now + timedelta(minutes=1)
    assert deliver(now=now + timedelta(minutes=1)).retrying == 1
    assert outbox_row(message_id).next_attempt_at == now + timedelta(minutes=6)
    assert deliver(now=now + timedelta(minutes=6)).failed == 1

    row = outbox_row(message_id)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)
    assert deliver(now=now + timedelta(days=30)).sent == 0


def test_a_421_closing_the_connection_ends_the_run(
    app, demo, smtp_server, queue, deliver, outbox_row
) -> None:
    smtp_server.handler.refuse_next("421 4.3.2 Shutting down")
    first, second = queue(), queue(to="someone@example.com")

    report = deliver()

    assert (report.sent, report.retrying) == (0, 1)
    assert (outbox_row(first).attempts, outbox_row(second).attempts) == (1, 0)
    assert deliver().sent == 1  # the second, untouched, goes out on the next run


def test_messages_not_yet_due_are_not_sent(app, demo, smtp_server, queue, deliver) -> None:
    message_id = queue()
    with app.app_context():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(next_attempt_at=_minutes_from_now(10))
        )
        db.session.commit()

    assert deliver().sent == 0
    assert smtp_server.delivered == []
    assert deliver(now=_minutes_from_now(11)).sent == 1


def test_sending_twice_does_not_resend_a_sent_message(app, demo, smtp_server, queue, deliver) -> None:
    queue()

    assert deliver().sent == 1
    assert deliver().sent == 0
    assert len(smtp_server.delivered) == 1


def test_oldest_messages_go_first_and_a_run_stops_at_its_limit(
    app, demo, smtp_server, queue, deliver
) -> None:
    for recipient in ("first@example.com", "second@example.com", "third@example.com"):
        queue(to=recipient)

    assert deliver(limit=2).sent == 2
    assert [d.rcpt_tos[0] for d in smtp_server.delivered] == ["first@example.com", "second@example.com"]
    assert deliver().sent == 1


def test_a_subject_cannot_add_a_header(app, demo, smtp_server, queue, deliver) -> None:
    queue(subject="Your order\r\nBcc: victim@example.com")

    deliver()

    [delivered] = smtp_server.delivered
    assert delivered.message["Bcc"] is None
    assert delivered.message["Subject"] == "Your order Bcc: victim@example.com"
    assert delivered.rcpt_tos == ["aisyah@example.com"]
    header_block = delivered.raw.split("\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith("bcc:") for line in header_block.splitlines())


def test_a_row_with_a_broken_header_is_failed_not_sent(
    app, demo, smtp_server, queue, deliver, outbox_row
) -> None:
    message_id = queue()
    with app.app_context():  # written around queue_email, as a buggy caller might
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(subject="Hi\r\nBcc: victim@example.com")
        )
        db.session.commit()

    assert deliver().failed == 1
    assert smtp_server.delivered == []
    assert outbox_row(message_id).last_error.startswith("unsendable")


def test_it_logs_in_only_when_a_username_is_set(app, demo, smtp_server, queue, deliver) -> None:
    smtp_server.stop()
    smtp_server.start(with_auth=True)
    queue()
    assert deliver().sent == 1
    assert smtp_server.handler.logins == []

    app.config.update(MAIL_SMTP_USERNAME="relay-user", MAIL_SMTP_PASSWORD="relay-secret")
    queue()
    assert deliver().sent == 1
    assert smtp_server.handler.logins == [("relay-user", "relay-secret")]


def test_storefront_mail_send_prints_its_counts(app, demo, smtp_server, queue) -> None:
    smtp_server.handler.refuse_next("550 5.1.1 No such user", at="RCPT")
    smtp_server.handler.refuse_next("451 4.3.0 Try again later")
    for recipient in ("gone@example.com", "busy@example.com", "a@example.com", "b@example.com"):
        queue(to=recipient)

    result = app.test_cli_runner().invoke(args=["mail", "send"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 2, retrying 1, failed 1"


@pytest.mark.postgres
def test_two_senders_never_send_the_same_row(app, demo, smtp_server, queue, deliver) -> None:
    held, free = queue(to="held@example.com"), queue(to="free@example.com")
    with app.app_context(), db.engine.connect() as other_sender:
        other_sender.execute(select(OutboxMessage.id).where(OutboxMessage.id == held).with_for_update()).all()
        report = deliver_due()
        other_sender.rollback()
    assert report.sent == 1
    assert [d.rcpt_tos for d in smtp_server.delivered] == [["free@example.com"]]
    assert free != held


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_a_secure_mode_never_falls_back_to_plain_text(
    app, demo, smtp_server, queue, deliver, outbox_row, security
) -> None:
    smtp_server.stop()
    smtp_server.start(with_auth=True)  # plain text only: no STARTTLS, no TLS on connect
    app.config.update(
        MAIL_SMTP_SECURITY=security, MAIL_SMTP_USERNAME="relay-user", MAIL_SMTP_PASSWORD="relay-secret"
    )
    message_id = queue()

    report = deliver()

    assert (report.sent, report.retrying, report.unreachable is not None) == (0, 0, True)
    assert smtp_server.delivered == [] and smtp_server.handler.logins == []
    row = outbox_row(message_id)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 0) and row.last_error


def test_an_unknown_security_mode_is_a_clear_error(app, demo, queue) -> None:
    app.config["MAIL_SMTP_SECURITY"] = "tls"
    queue()

    result = app.test_cli_runner().invoke(args=["mail", "send"])

    assert result.exit_code != 0
    assert "MAIL_SMTP_SECURITY must be one of none, starttls, ssl" in result.output
