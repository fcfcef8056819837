"""Whose mail is it: only a proven sender with a verified address is a customer; anyone else is a guest,
and references never move mail across shops."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import (
    Customer,
    Escalation,
    InboundEmail,
    InboundOutcome,
    Reseller,
    TeamMember,
    Ticket,
    TicketMessage,
    utcnow,
)
from storefront.support.ticket_mail import reply_address
from storefront.support.tickets import add_team_reply, open_ticket
from tests.mail.inbound_support import count, eml, file_email, shop_id
from tests.shop.helpers import outbox, sign_in
from tests.steps import customer_id, owner_client

UNPROVEN = [
    "forged-from-no-auth.eml",
    "dmarc-fail.eml",
    "forged-trusted-below.eml",
    "untrusted-authserv.eml",
    "dkim-misaligned.eml",
]


def _ticket(app, ticket_id: int) -> Ticket:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        db.session.expunge(ticket)
        return ticket


def _thread_length(app, ticket_id: int) -> int:
    with app.app_context():
        return len(
            list(db.session.scalars(select(TicketMessage.id).where(TicketMessage.ticket_id == ticket_id)))
        )


def _answered(app, slug: str = "acme", email: str = "aisyah@example.com") -> tuple[int, str, str]:
    """Open the customer's ticket at a shop with a team answer: its id, reply address, answer Message-ID."""
    with app.app_context():
        shop = db.session.scalar(select(Reseller).where(Reseller.slug == slug))
        customer = db.session.scalar(
            select(Customer).where(Customer.reseller_id == shop.id, Customer.email == email)
        )
        owner = db.session.scalar(select(TeamMember).where(TeamMember.reseller_id == shop.id))
        ticket = open_ticket(shop, "Domain renewal", "Please renew my domain.", customer=customer)
        answer = add_team_reply(shop, ticket, owner, "Your domain is renewed until 2028.")
        db.session.commit()
        return ticket.id, reply_address(shop, ticket), answer.email_message_id


def _reply(address: str, in_reply_to: str, *, proven: bool = True) -> bytes:
    raw = eml("reply-template.eml", {"REPLY-ADDRESS": address, "<IN-REPLY-TO>": in_reply_to})
    if not proven:  # the same reply with the receiving server's results taken off: a bare From
        raw = raw.split(b"From: ", 1)[1]
        raw = b"From: " + raw
    return raw


def _fay(app, verified: bool = False) -> int:
    """Sign Fay up at Acme with fay@example.com, an address she never verified (unless asked)."""
    with app.app_context():
        fay = Customer(
            reseller_id=shop_id(app, "acme"),
            email="fay@example.com",
            name="Fay Tan",
            email_verified_at=utcnow() if verified else None,
        )
        fay.set_password("storefront-demo")
        db.session.add(fay)
        db.session.commit()
        return fay.id


@pytest.mark.parametrize("fixture", UNPROVEN)
def test_mail_nothing_proves_is_a_marked_guest_ticket_with_no_acknowledgement(app, demo, fixture) -> None:
    filed = file_email(app, eml(fixture))

    assert filed.outcome == InboundOutcome.OPENED and filed.reseller_id == shop_id(app, "acme")
    assert "unverified sender" in filed.reason
    ticket = _ticket(app, filed.ticket_id)
    assert ticket.customer_id is None and ticket.sender_unverified
    assert (ticket.guest_email, ticket.guest_name) == ("aisyah@example.com", "Nur Aisyah")
    assert outbox(app, to="aisyah@example.com") == []  # no backscatter to whoever the From names
    assert [m.kind for m in outbox(app, to="owner@acme-hosting.test")] == ["team_ticket_new"]
    with app.app_context():
        record = db.session.get(InboundEmail, filed.id)
        assert not record.sender_authenticated and record.authentication


def test_only_the_topmost_header_of_the_trusted_server_counts(app, demo) -> None:
    filed = file_email(app, eml("forged-trusted-below.eml"))
    with app.app_context():
        record = db.session.get(InboundEmail, filed.id)
    assert record.authentication == "mx.inbound.test reports dmarc=fail; dkim=none"


def test_an_aligned_dkim_pass_proves_the_sender_without_dmarc(app, demo) -> None:
    filed = file_email(app, eml("dkim-aligned-no-dmarc.eml"))

    ticket = _ticket(app, filed.ticket_id)
    assert ticket.customer_id == customer_id(app) and not ticket.sender_unverified
    assert [m.kind for m in outbox(app, to="aisyah@example.com")] == ["ticket_received"]


def test_with_no_trusted_server_configured_every_piped_message_is_unverified(app, demo) -> None:
    app.config["MAIL_TRUSTED_AUTHSERV_ID"] = None  # the production default

    filed = file_email(app, eml("to-reseller-new-ticket.eml"))

    assert _ticket(app, filed.ticket_id).sender_unverified
    assert "no receiving server is trusted" in filed.reason


def test_a_forged_escalation_to_the_platform_waits_for_staff(app, demo) -> None:
    filed = file_email(app, eml("to-platform-forged.eml"))

    assert filed.outcome == InboundOutcome.TRIAGE
    assert filed.reason == "unverified sender: no Authentication-Results from mx.inbound.test"
    assert count(app, Ticket) == 0 and count(app, Escalation) == 0 and outbox(app) == []


@pytest.mark.parametrize("by", ["token", "message-id"])
def test_a_forged_reply_never_joins_the_customers_ticket(app, demo, by) -> None:
    ticket_id, address, answer_id = _answered(app)
    before = len(outbox(app))
    recipient = address if by == "token" else "support@acme-hosting.test"

    filed = file_email(app, _reply(recipient, answer_id, proven=False))

    assert filed.outcome == InboundOutcome.OPENED and filed.ticket_id != ticket_id
    assert _thread_length(app, ticket_id) == 2
    guest = _ticket(app, filed.ticket_id)
    assert guest.reseller_id == shop_id(app, "acme") and guest.customer_id is None and guest.sender_unverified
    assert [m.kind for m in outbox(app)[before:]] == [
        "team_ticket_new"
    ] * 2  # the team only, no acknowledgement


def test_a_proven_reply_joins_the_customers_ticket(app, demo) -> None:
    ticket_id, address, answer_id = _answered(app)
    filed = file_email(app, _reply(address, answer_id))
    assert (filed.outcome, filed.ticket_id) == (InboundOutcome.THREADED, ticket_id)


def test_an_unverified_senders_guest_ticket_goes_on_with_its_replies(app, demo) -> None:
    opened = file_email(app, eml("forged-from-no-auth.eml"))
    with app.app_context():
        acme = db.session.get(Reseller, shop_id(app, "acme"))
        ticket = db.session.get(Ticket, opened.ticket_id)
        owner = db.session.scalar(select(TeamMember).where(TeamMember.reseller_id == acme.id))
        answer = add_team_reply(acme, ticket, owner, "Which form do you mean?")
        db.session.commit()
        address, answer_id = reply_address(acme, ticket), answer.email_message_id

    filed = file_email(app, _reply(address, answer_id, proven=False))

    assert (filed.outcome, filed.ticket_id) == (InboundOutcome.THREADED, opened.ticket_id)
    assert _ticket(app, opened.ticket_id).sender_unverified


def test_mail_from_an_unverified_accounts_address_is_a_guest_ticket(app, demo, client_for) -> None:
    fay = _fay(app)

    filed = file_email(app, eml("unverified-account.eml"))

    ticket = _ticket(app, filed.ticket_id)
    assert filed.outcome == InboundOutcome.OPENED and filed.reason.endswith("from a guest")
    assert ticket.customer_id is None and ticket.guest_email == "fay@example.com"
    client = client_for("acme.localhost")
    sign_in(client, "fay@example.com")
    assert "My new account cannot see the order" not in client.get("/account/tickets").text
    with app.app_context():  # verifying the address later attaches nothing
        db.session.get(Customer, fay).email_verified_at = utcnow()
        db.session.commit()
    assert _ticket(app, filed.ticket_id).customer_id is None
    assert "My new account cannot see the order" not in client.get("/account/tickets").text


def test_a_verified_account_gets_the_same_mail_in_its_account(app, demo) -> None:
    fay = _fay(app, verified=True)
    filed = file_email(app, eml("unverified-account.eml"))
    assert _ticket(app, filed.ticket_id).customer_id == fay


def test_mail_to_the_platform_from_an_unverified_account_is_not_escalated_in_its_name(app, demo) -> None:
    _fay(app)
    raw = eml(
        "unverified-account.eml",
        {"Acme Hosting Support <support@acme-hosting.test>": "support@webserver.com.my"},
    )

    filed = file_email(app, raw)

    assert (filed.outcome, filed.reason) == (InboundOutcome.TRIAGE, "unknown sender")
    assert count(app, Ticket) == 0 and count(app, Escalation) == 0


def test_a_reply_from_an_unverified_account_never_joins_its_ticket(app, demo) -> None:
    _fay(app)
    ticket_id, address, answer_id = _answered(app, email="fay@example.com")
    raw = _reply(address, answer_id).replace(b"Nur Aisyah <aisyah@example.com>", b"Fay Tan <fay@example.com>")

    filed = file_email(app, raw)

    assert filed.outcome == InboundOutcome.OPENED and filed.ticket_id != ticket_id
    assert _thread_length(app, ticket_id) == 2 and _ticket(app, filed.ticket_id).customer_id is None


def _cross_shop(app) -> tuple[int, bytes]:
    """Raj's answered ticket at Kedai, and his mail to Acme citing that answer."""
    ticket_id, _, answer_id = _answered(app, "kedai", "raj@example.org")
    return ticket_id, eml("reply-cross-shop-template.eml", {"<OTHER-SHOP-ANSWER>": answer_id})


def test_a_reference_to_another_shops_ticket_stays_at_the_addressed_shop(app, demo) -> None:
    kedai_ticket, raw = _cross_shop(app)
    before = len(outbox(app))

    filed = file_email(app, raw)

    assert filed.outcome == InboundOutcome.OPENED and filed.reseller_id == shop_id(app, "acme")
    opened = _ticket(app, filed.ticket_id)
    assert opened.reseller_id == shop_id(app, "acme") and opened.guest_email == "raj@example.org"
    assert _thread_length(app, kedai_ticket) == 2
    sent = outbox(app)[before:]
    assert {m.to_address for m in sent} == {
        "raj@example.org",
        "owner@acme-hosting.test",
        "agent@acme-hosting.test",
    }
    assert all("Kedai" not in m.from_address and "Kedai" not in m.text_body for m in sent)
    [ack] = [m for m in sent if m.to_address == "raj@example.org"]
    assert "Acme Hosting" in ack.from_address


def test_mail_to_the_platform_may_cite_any_shops_ticket(app, demo) -> None:
    kedai_ticket, raw = _cross_shop(app)
    raw = raw.replace(b"Acme Hosting Support <support@acme-hosting.test>", b"support@webserver.com.my")

    filed = file_email(app, raw)

    assert (filed.outcome, filed.ticket_id) == (InboundOutcome.THREADED, kedai_ticket)


def test_the_team_sees_the_unverified_sender_mark(app, demo, client_for) -> None:
    file_email(app, eml("to-reseller-new-ticket.eml"))
    file_email(app, eml("forged-from-no-auth.eml"))
    team = owner_client(client_for)

    inbox = team.get("/console/tickets").text

    assert inbox.count("unverified sender</span>") == 1
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", inbox, re.S)
    [marked] = [row for row in rows if "unverified sender" in row]
    link = re.search(r'href="(/console/tickets/[^"]+)"', marked).group(1)
    page = team.get(link).text
    assert "unverified sender</span>" in page and "no acknowledgement was sent" in page
    [proven] = [row for row in rows if "Nur Aisyah" in row and "unverified" not in row]
    proven_page = team.get(re.search(r'href="(/console/tickets/[^"]+)"', proven).group(1)).text
    assert "unverified sender" not in proven_page
