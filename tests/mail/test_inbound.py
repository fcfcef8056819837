"""Email in: each fixture message of tests/fixtures/mail is filed the way its README says."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.mail.delivery import build_email
from storefront.models import (
    Author,
    Customer,
    Escalation,
    InboundEmail,
    InboundOutcome,
    OutboxMessage,
    Reseller,
    TeamMember,
    Ticket,
    TicketMessage,
    TicketStatus,
    TicketTier,
    bind_tenant,
    current_tenant,
    utcnow,
)
from storefront.support.escalation import QueueFilters, queue_condition
from storefront.support.inbound.intake import PLATFORM_NOTE, REUSED_ID, ingest
from storefront.support.ticket_mail import reply_address
from storefront.support.tickets import add_team_reply, open_ticket
from tests.mail.inbound_support import count, eml, file_email, shop_id
from tests.shop.helpers import outbox, sign_in
from tests.steps import number_of


def _ticket(app, ticket_id: int) -> Ticket:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        db.session.expunge(ticket)
        return ticket


def _messages(app, ticket_id: int) -> list[TicketMessage]:
    with app.app_context():
        query = select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)
        messages = list(db.session.scalars(query))
        db.session.expunge_all()
        return messages


def _customer_id(app, email: str, slug: str) -> int:
    with app.app_context():
        query = select(Customer.id).join(Reseller, Reseller.id == Customer.reseller_id)
        return db.session.scalar(query.where(Customer.email == email, Reseller.slug == slug))


def test_mail_to_a_shops_support_address_opens_a_ticket_from_its_customer(app, demo) -> None:
    filed = file_email(app, eml("to-reseller-new-ticket.eml"))

    assert filed.outcome == InboundOutcome.OPENED
    assert filed.reseller_id == shop_id(app, "acme")
    ticket = _ticket(app, filed.ticket_id)
    assert ticket.reseller_id == shop_id(app, "acme") and ticket.tier == TicketTier.RESELLER
    assert ticket.customer_id == _customer_id(app, "aisyah@example.com", "acme")
    assert ticket.subject == "Contact form on my bakery site stopped sending"
    assert ticket.status == TicketStatus.OPEN and not ticket.sender_unverified
    [message] = _messages(app, ticket.id)
    assert message.author == Author.CUSTOMER
    assert message.body.startswith("Good morning,\n\nThe order form on aisyah-bakery.test has not")
    assert message.email_message_id == "<new-ticket-1@mail.example.com>"
    assert [m.kind for m in outbox(app, to="aisyah@example.com")] == ["ticket_received"]
    assert [m.kind for m in outbox(app, to="owner@acme-hosting.test")] == ["team_ticket_new"]
    assert (filed.from_address, filed.to_address) == ("aisyah@example.com", "support@acme-hosting.test")


def test_the_support_address_matches_whatever_its_case_and_a_stranger_gets_a_guest_ticket(app, demo) -> None:
    raw = eml(
        "to-reseller-new-ticket.eml",
        {"Nur Aisyah <aisyah@example.com>": "Siti <Siti@Example.com>", "support@acme": "SUPPORT@Acme"},
    )
    filed = file_email(app, raw)

    assert filed.outcome == InboundOutcome.OPENED
    ticket = _ticket(app, filed.ticket_id)
    assert ticket.customer_id is None
    assert (ticket.guest_email, ticket.guest_name) == ("siti@example.com", "Siti")
    assert [m.kind for m in outbox(app, to="siti@example.com")] == ["ticket_received"]


def test_mail_to_the_platform_from_a_shops_customer_opens_an_escalated_ticket(app, demo) -> None:
    filed = file_email(app, eml("to-platform-escalation.eml"))

    assert filed.outcome == InboundOutcome.OPENED
    ticket = _ticket(app, filed.ticket_id)
    assert ticket.reseller_id == shop_id(app, "acme")
    assert ticket.customer_id == _customer_id(app, "aisyah@example.com", "acme")
    assert (ticket.tier, ticket.status) == (TicketTier.PLATFORM, TicketStatus.ESCALATED)
    with app.app_context():
        [escalation] = db.session.scalars(select(Escalation).where(Escalation.ticket_id == ticket.id))
        assert (escalation.by, escalation.reason, escalation.note) == ("email", "email", PLATFORM_NOTE)
        on_screen = list(
            db.session.scalars(select(Ticket.id).where(queue_condition(utcnow(), QueueFilters())))
        )
    assert on_screen == [ticket.id]
    assert "team_escalated" in [m.kind for m in outbox(app, to="owner@acme-hosting.test")]
    # The acknowledgement comes from the shop, never from the platform the customer wrote to.
    [ack] = outbox(app, to="aisyah@example.com")
    assert "Acme Hosting" in ack.from_address and "webserver" not in ack.from_address


def test_mail_to_the_platform_from_an_unknown_sender_waits_for_staff(app, demo) -> None:
    filed = file_email(app, eml("to-platform-unknown-sender.eml"))

    assert (filed.outcome, filed.reason) == (InboundOutcome.TRIAGE, "unknown sender")
    assert filed.ticket_id is None and filed.reseller_id is None
    assert count(app, Ticket) == 0 and outbox(app) == []
    assert filed.subject == "Who hosts my website?"


def test_mail_to_the_platform_from_a_customer_of_several_shops_waits_for_staff(app, demo) -> None:
    with app.app_context():
        bluewave = db.session.scalar(select(Reseller).where(Reseller.slug == "bluewave"))
        twin = Customer(
            reseller_id=bluewave.id, email="aisyah@example.com", name="Nur Aisyah", email_verified_at=utcnow()
        )
        twin.set_password("another long password")
        db.session.add(twin)
        db.session.commit()

    filed = file_email(app, eml("to-platform-escalation.eml"))

    assert (filed.outcome, filed.reason) == (InboundOutcome.TRIAGE, "customer of several shops: staff choose")
    assert count(app, Ticket) == 0 and count(app, Escalation) == 0


def _answered_ticket(app) -> tuple[int, str, str]:
    """Open Aisyah's ticket at Acme with a team answer; return id, reply address, answer Message-ID."""
    with app.app_context():
        acme = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        aisyah = db.session.scalar(
            select(Customer).where(Customer.reseller_id == acme.id, Customer.email == "aisyah@example.com")
        )
        owner = db.session.scalar(select(TeamMember).where(TeamMember.reseller_id == acme.id))
        ticket = open_ticket(
            acme, "Cannot log in to webmail", "It says my password is wrong.", customer=aisyah
        )
        answer = add_team_reply(acme, ticket, owner, "Please try resetting your password.")
        db.session.commit()
        return ticket.id, reply_address(acme, ticket), answer.email_message_id


def _reply(address: str, in_reply_to: str, sender: str = "Nur Aisyah <aisyah@example.com>") -> bytes:
    replacements = {"REPLY-ADDRESS": address, "<IN-REPLY-TO>": in_reply_to}
    return eml("reply-template.eml", {**replacements, "Nur Aisyah <aisyah@example.com>": sender})


def test_a_reply_from_the_tickets_customer_is_threaded_into_the_ticket(app, demo) -> None:
    ticket_id, address, answer_id = _answered_ticket(app)
    before = len(outbox(app))

    filed = file_email(app, _reply(address, answer_id))

    assert (filed.outcome, filed.ticket_id) == (InboundOutcome.THREADED, ticket_id)
    messages = _messages(app, ticket_id)
    assert [m.author for m in messages] == [Author.CUSTOMER, Author.TEAM, Author.CUSTOMER]
    # The quoted answer below it is dropped.
    assert messages[-1].body == "That fixed it, the enquiries arrive again. Thank you!"
    assert messages[-1].email_message_id == "<reply-1@mail.example.com>"
    ticket = _ticket(app, ticket_id)
    assert ticket.status == TicketStatus.OPEN and ticket.reply_due_at is not None
    assert [m.kind for m in outbox(app)[before:]] == ["team_customer_reply"] * 2  # owner and agent


@pytest.mark.parametrize("by", ["token", "message-id"])
def test_either_the_reply_address_or_our_message_id_alone_threads_a_reply(app, demo, by) -> None:
    ticket_id, address, answer_id = _answered_ticket(app)
    raw = (
        _reply(address, "<unknown@elsewhere.test>")
        if by == "token"
        else _reply("support@acme-hosting.test", answer_id)
    )

    filed = file_email(app, raw)

    assert (filed.outcome, filed.ticket_id) == (InboundOutcome.THREADED, ticket_id)
    assert len(_messages(app, ticket_id)) == 3


@pytest.mark.parametrize("by", ["token", "message-id"])
def test_a_reply_from_someone_else_is_not_threaded(app, demo, by) -> None:
    ticket_id, address, answer_id = _answered_ticket(app)
    stranger = "Siti <siti@example.com>"  # proven by the same DMARC pass: just not the ticket's customer
    raw = (
        _reply(address, "<x@y.test>", stranger)
        if by == "token"
        else _reply("support@acme-hosting.test", answer_id, stranger)
    )
    before = len(outbox(app))

    filed = file_email(app, raw)

    # Never threaded into the customer's ticket, but still heard: a new ticket at the same shop.
    assert filed.outcome == InboundOutcome.OPENED
    assert filed.reseller_id == shop_id(app, "acme") and filed.ticket_id != ticket_id
    assert len(_messages(app, ticket_id)) == 2
    assert {m.kind for m in outbox(app)[before:]} == {"ticket_received", "team_ticket_new"}


def test_a_reply_token_only_threads_at_its_own_shops_address(app, demo) -> None:
    ticket_id, address, _ = _answered_ticket(app)
    token = address.split("+", 1)[1].split("@", 1)[0]
    filed = file_email(app, _reply(f"support+{token}@bluewave-web.test", "<x@y.test>"))
    assert filed.ticket_id != ticket_id
    assert len(_messages(app, ticket_id)) == 2


def test_a_customers_own_message_id_does_not_thread(app, demo) -> None:
    """Only our answers' Message-IDs count: the customer's are chosen by whoever sends mail."""
    opened = file_email(app, eml("to-reseller-new-ticket.eml"))

    filed = file_email(app, _reply("someone@elsewhere.test", "<new-ticket-1@mail.example.com>"))

    assert (filed.outcome, filed.reason) == (InboundOutcome.TRIAGE, "not addressed to a shop we know")
    assert len(_messages(app, opened.ticket_id)) == 1


def test_a_made_up_token_threads_nothing(app, demo) -> None:
    _answered_ticket(app)
    filed = file_email(app, _reply("support+AAAAAAAAAAAAAAAAAAAAAAAA@acme-hosting.test", "<x@y.test>"))
    assert (filed.outcome, filed.reason) == (InboundOutcome.TRIAGE, "not addressed to a shop we know")


def test_an_out_of_office_reply_is_stored_and_never_answered(app, demo) -> None:
    filed = file_email(app, eml("auto-reply.eml"))

    assert filed.outcome == InboundOutcome.AUTO_REPLY
    assert "Auto-Submitted: auto-replied" in filed.reason
    assert filed.reseller_id == shop_id(app, "acme") and filed.ticket_id is None
    assert count(app, Ticket) == 0 and outbox(app) == []


def test_an_auto_reply_to_a_tickets_address_is_recorded_against_it_but_adds_nothing(app, demo) -> None:
    ticket_id, address, _ = _answered_ticket(app)
    before = len(outbox(app))
    raw = eml("auto-reply.eml", {"To: support@acme-hosting.test": f"To: {address}"})

    filed = file_email(app, raw)

    assert (filed.outcome, filed.ticket_id) == (InboundOutcome.AUTO_REPLY, ticket_id)
    assert len(_messages(app, ticket_id)) == 2 and len(outbox(app)) == before


def test_a_bounce_is_stored_and_never_answered(app, demo) -> None:
    filed = file_email(app, eml("bounce.eml"))

    assert filed.outcome == InboundOutcome.AUTO_REPLY
    assert filed.from_address == "mailer-daemon@mx.example.net"
    assert count(app, Ticket) == 0 and outbox(app) == []


PLAIN = b"From: Nur Aisyah <aisyah@example.com>\r\nTo: support@acme-hosting.test\r\nSubject: Hi\r\n"


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (b"Precedence: bulk\r\n", "Precedence: bulk"),
        (b"Precedence: junk\r\n", "Precedence: junk"),
        (b"Precedence: List\r\n", "Precedence: list"),
        (b"Return-Path: < >\r\n", "empty return path"),
        (b"Auto-Submitted: auto-generated; owner-email=x@y.test\r\n", "Auto-Submitted: auto-generated"),
        (b"X-Autorespond: on\r\n", "X-Autorespond header"),
        (b"X-Autoreply: yes\r\n", "X-Autoreply header"),
        (b"Content-Type: multipart/report; boundary=b\r\n", "a delivery or read report"),
    ],
)
def test_every_sign_of_an_automatic_message_is_honoured(app, demo, extra, reason) -> None:
    body = (
        b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n"
        if b"multipart" in extra
        else b"\r\nx\r\n"
    )
    filed = file_email(app, PLAIN + extra + body)
    assert filed.outcome == InboundOutcome.AUTO_REPLY and reason in filed.reason
    assert count(app, Ticket) == 0 and outbox(app) == []


def test_postmaster_and_auto_submitted_no(app, demo) -> None:
    postmaster = PLAIN.replace(b"aisyah@example.com", b"Postmaster@example.com")
    assert file_email(app, postmaster + b"\r\nx\r\n").outcome == InboundOutcome.AUTO_REPLY
    human = file_email(app, PLAIN + b"Auto-Submitted: no\r\n\r\nA person wrote this.\r\n")
    assert human.outcome == InboundOutcome.OPENED


def test_hostile_html_mail_becomes_plain_text_shown_escaped(app, demo, client_for) -> None:
    filed = file_email(app, eml("html-only-hostile.eml"))

    assert filed.outcome == InboundOutcome.OPENED and filed.reseller_id == shop_id(app, "bluewave")
    [message] = _messages(app, filed.ticket_id)
    for danger in ("<script", "onerror", "hx-", "evil.test", "javascript:", "refresh", "alert", "<"):
        assert danger not in message.body
    assert message.body == (
        "Hello, my invoice lists the Business plan twice this month.\n\n"
        "open the invoice\n{{ config.SECRET_KEY }} {{7*7}}"
    )
    client = client_for("bluewave.localhost")
    sign_in(client, "weiming@example.net")
    page = client.get(f"/account/tickets/{number_of(app, Ticket, filed.ticket_id)}")
    assert page.status_code == 200
    assert f'<div class="thread__body" hx-disable>{message.body}</div>' in page.text
    [team_email] = outbox(app, to="owner@bluewave-web.test", kind="team_ticket_new")
    assert "{{7*7}}" in team_email.text_body and "{{7*7}}" in team_email.html_body
    assert "<script" not in team_email.html_body


def test_encoded_subject_name_and_body_are_decoded_exactly(app, demo) -> None:
    filed = file_email(app, eml("encoded-malay-chinese.eml"))

    subject = "E-mel saya tidak diterima — 邮件收不到"
    assert filed.outcome == InboundOutcome.OPENED and filed.reseller_id == shop_id(app, "kedai")
    assert filed.subject == subject and _ticket(app, filed.ticket_id).subject == subject
    [message] = _messages(app, filed.ticket_id)
    assert message.body == (
        "Selamat pagi,\n\nSejak semalam saya tidak menerima e-mel di peti mel raj-kedai.test.\n"
        "我从昨天晚上开始就收不到邮件了。\n\nTerima kasih — Raj"
    )


def test_an_encoded_display_name_becomes_the_guests_name(app, demo) -> None:
    filed = file_email(app, eml("encoded-malay-chinese.eml", {"raj@example.org": "raj.k@example.org"}))
    ticket = _ticket(app, filed.ticket_id)
    assert (ticket.guest_name, ticket.guest_email) == ("Raj Kumar — ராஜ்", "raj.k@example.org")


def test_attachments_are_kept_under_server_made_names(app, demo) -> None:
    filed = file_email(app, eml("with-attachments.eml"))

    assert filed.outcome == InboundOutcome.OPENED
    with app.app_context():
        [message] = db.session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id == filed.ticket_id)
        )
        files = [
            (a.filename, a.content_type, a.size_bytes, a.stored_name, a.data) for a in message.attachments
        ]
        assert message.body == "The error shows in the screenshot attached."
    (png_name, png_type, png_size, png_stored, png_data), (cfg_name, cfg_type, _, cfg_stored, _) = files
    assert (png_name, png_type, png_size) == ("form error.png", "image/png", 78)
    assert png_data.startswith(b"\x89PNG\r\n\x1a\n")
    assert (cfg_name, cfg_type) == ("config.py", "application/octet-stream")
    for stored in (png_stored, cfg_stored):
        assert len(stored) == 32 and int(stored, 16) >= 0
    assert png_stored != cfg_stored


@pytest.mark.parametrize(
    ("limits", "note"),
    [
        ({"INBOUND_MAX_ATTACHMENT_BYTES": 50}, "[attachment form error.png not kept: too large]"),
        ({"INBOUND_MAX_ATTACHMENTS": 1}, "[attachment config.py not kept: too many attachments]"),
    ],
)
def test_attachments_past_the_limits_are_noted_in_the_message(app, demo, limits, note) -> None:
    app.config.update(limits)
    filed = file_email(app, eml("with-attachments.eml"))
    with app.app_context():
        [message] = db.session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id == filed.ticket_id)
        )
        assert message.body == f"The error shows in the screenshot attached.\n\n{note}"
        assert len(message.attachments) == 1


def test_a_malformed_message_is_kept_aside_with_the_reason(app, demo) -> None:
    raw = eml("malformed.eml")
    filed = file_email(app, raw)

    assert filed.outcome == InboundOutcome.QUARANTINED
    for problem in ("never closed", "base64", "'no-such-charset-7'", "'x-martian' in Subject"):
        assert problem in filed.reason
    assert filed.reason.startswith("malformed: ")
    assert (filed.from_address, filed.subject) == ("broken@example.com", "=?x-martian?B?////?=")
    assert filed.reseller_id == shop_id(app, "acme")  # listed for Acme's team
    assert filed.message_id == "<malformed-1@example.com>"
    with app.app_context():
        assert db.session.get(InboundEmail, filed.id).raw == raw
    assert count(app, Ticket) == 0 and outbox(app) == []


def test_a_subject_that_decodes_to_several_lines_adds_no_header(app, demo) -> None:
    filed = file_email(app, eml("subject-header-injection.eml"))

    one_line = "Login help Bcc: collector@evil.test X-Injected: 1"
    assert filed.outcome == InboundOutcome.OPENED
    assert filed.subject == one_line and _ticket(app, filed.ticket_id).subject == one_line
    [ack] = outbox(app, to="aisyah@example.com")
    wire = build_email(ack).as_bytes()
    email = message_from_bytes(wire, policy=policy.default)
    assert email["Bcc"] is None and email["X-Injected"] is None
    assert email["Subject"] == f"[#{number_of(app, Ticket, filed.ticket_id)}] {one_line}"
    assert b"\nBcc:" not in wire and b"\nX-Injected:" not in wire


def test_the_same_message_twice_is_stored_once(app, demo) -> None:
    first = file_email(app, eml("to-reseller-new-ticket.eml"))
    emails = len(outbox(app))
    # The same message by another route: the trace fields each hop adds differ, nothing else.
    hop = b"Received: from mx2.example.net by mx.inbound.test; Tue, 01 Dec 2026 08:16:00 +0800\r\n"

    again = file_email(app, hop + b"Return-Path: <aisyah@example.com>\n" + eml("to-reseller-new-ticket.eml"))

    assert again == first
    assert count(app, InboundEmail) == 1 and count(app, Ticket) == 1 and len(outbox(app)) == emails


def test_a_different_message_reusing_a_known_message_id_is_kept_aside(app, demo) -> None:
    first = file_email(app, eml("to-reseller-new-ticket.eml"))
    emails = len(outbox(app))
    raw = eml("reused-message-id.eml")

    reused = file_email(app, raw)

    assert reused.id != first.id and reused.message_id == first.message_id
    assert (reused.outcome, reused.reason) == (InboundOutcome.QUARANTINED, REUSED_ID)
    assert reused.reseller_id == shop_id(app, "kedai")  # listed for the team it was sent to
    assert (reused.from_address, reused.subject) == (
        "raj@example.org",
        "Please renew raj-kedai.test for two years",
    )
    with app.app_context():
        assert db.session.get(InboundEmail, reused.id).raw == raw
    assert count(app, Ticket) == 1 and len(outbox(app)) == emails
    assert file_email(app, raw) == reused  # and that message, again, is stored once too
    assert count(app, InboundEmail) == 2


def test_mail_without_a_message_id_gets_a_stable_one(app, demo) -> None:
    raw = eml("to-reseller-new-ticket.eml").replace(b"Message-ID: <new-ticket-1@mail.example.com>\n", b"")

    first, again = file_email(app, raw), file_email(app, raw)
    other = file_email(app, raw.replace(b"Regards,", b"Kind regards,"))

    assert first == again and first.message_id.endswith("@inbound.invalid>")
    assert other.id != first.id and count(app, Ticket) == 2


def test_an_oversized_message_is_kept_aside(app, demo) -> None:
    app.config["INBOUND_MAX_BYTES"] = 300
    raw = eml("to-reseller-new-ticket.eml")

    filed = file_email(app, raw)

    assert filed.outcome == InboundOutcome.QUARANTINED
    assert filed.reason == f"too large: {len(raw):,} bytes (the limit is 300)"
    assert (filed.from_address, filed.subject) == (
        "aisyah@example.com",
        "Contact form on my bakery site stopped sending",
    )
    assert filed.reseller_id == shop_id(app, "acme")
    assert count(app, Ticket) == 0


def test_mail_to_no_shop_we_know_waits_for_staff(app, demo) -> None:
    raw = eml("to-reseller-new-ticket.eml", {"support@acme-hosting.test": "sales@acme-hosting.test"})
    filed = file_email(app, raw)
    assert (filed.outcome, filed.reason) == (InboundOutcome.TRIAGE, "not addressed to a shop we know")


def test_mail_to_two_shops_at_once_waits_for_staff(app, demo) -> None:
    raw = eml("to-reseller-new-ticket.eml", {"MIME-Version": "Cc: support@kedaihosting.test\nMIME-Version"})
    filed = file_email(app, raw)
    assert (filed.outcome, filed.reason) == (
        InboundOutcome.TRIAGE,
        "addressed to several shops: staff choose",
    )


def test_the_envelope_recipient_routes_mail_whose_headers_name_nobody_we_know(app, demo) -> None:
    raw = eml("to-reseller-new-ticket.eml", {"support@acme-hosting.test": "list@example.com"})
    filed = file_email(app, raw, envelope_to=["<support@kedaihosting.test>"])
    assert filed.outcome == InboundOutcome.OPENED and filed.reseller_id == shop_id(app, "kedai")


def test_mail_from_our_own_support_address_is_not_answered_back(app, demo) -> None:
    raw = eml("to-reseller-new-ticket.eml", {"Nur Aisyah <aisyah@example.com>": "support@kedaihosting.test"})
    filed = file_email(app, raw)
    assert (filed.outcome, filed.reason) == (
        InboundOutcome.TRIAGE,
        "sent from one of our own support addresses",
    )
    assert outbox(app) == []


def test_control_characters_never_reach_the_stored_text(app, demo) -> None:
    raw = eml("to-reseller-new-ticket.eml").replace(b"Regards,", b"Rega\x00rds\x1b,\r")
    filed = file_email(app, raw)
    [message] = _messages(app, filed.ticket_id)
    assert "\x00" not in message.body and "\x1b" not in message.body and "\r" not in message.body
    assert "Regards,\nAisyah" in message.body


def test_an_empty_message_still_opens_a_ticket(app, demo) -> None:
    raw = PLAIN.replace(b"Subject: Hi\r\n", b"Subject: \r\n") + b"\r\n"
    filed = file_email(app, raw)
    assert filed.outcome == InboundOutcome.OPENED
    assert _ticket(app, filed.ticket_id).subject == "(no subject)"
    assert _messages(app, filed.ticket_id)[0].body == "(no message text)"


def test_a_failure_while_filing_keeps_the_message_aside(app, demo, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("storefront.support.inbound.routing.open_ticket", broken)
    filed = file_email(app, eml("to-reseller-new-ticket.eml"))

    assert (filed.outcome, filed.reason) == (
        InboundOutcome.QUARANTINED,
        "could not be processed (an internal error)",
    )
    assert count(app, Ticket) == 0 and count(app, OutboxMessage) == 0


def test_ingest_ignores_and_restores_a_tenant_bound_to_the_session(app, demo) -> None:
    acme, bluewave = shop_id(app, "acme"), shop_id(app, "bluewave")
    with app.app_context():
        bind_tenant(db.session, bluewave)
        record = ingest(eml("to-reseller-new-ticket.eml"))
        assert record.outcome == InboundOutcome.OPENED and record.reseller_id == acme
        assert current_tenant(db.session) == bluewave


def test_a_sender_address_we_cannot_write_to_waits_for_staff(app, demo) -> None:
    raw = eml("to-reseller-new-ticket.eml", {"aisyah@example.com": "用户@example.com"})
    filed = file_email(app, raw)
    assert filed.outcome == InboundOutcome.TRIAGE and "not ASCII" in filed.reason
    assert filed.reseller_id == shop_id(app, "acme") and outbox(app) == []

    garbled = eml("to-reseller-new-ticket.eml", {"fixture-1": "garbled-1"}).replace(
        b"aisyah@", b"ais\xffyah@"
    )
    assert file_email(app, garbled).outcome == InboundOutcome.QUARANTINED
