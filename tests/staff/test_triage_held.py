"""Staff triage: mail kept aside with no one shop to show it to, mail from unverified senders, and
dismissing what needs no ticket."""

from __future__ import annotations

import re

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import InboundEmail, InboundOutcome, Ticket
from tests.mail.inbound_support import eml, file_email, shop_id
from tests.shop.helpers import csrf_from, outbox
from tests.staff.escalation_helpers import audit_entries, staff_client, staff_id
from tests.steps import customer_id

# The escalation to the platform, unreadable: kept aside for staff, since no one shop was addressed.
UNREADABLE = {"Subject: Acme has not replied": "Subject: =?x-martian?Q?Acme?= has not replied"}


def _listed(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'href="/staff/escalations/triage/(\d+)"', html)]


def test_mail_kept_aside_for_no_one_shop_waits_for_staff_and_can_be_dismissed(
    app, demo, client_for, make_staff
) -> None:
    held = file_email(app, eml("to-platform-escalation.eml", UNREADABLE))
    for_acme = file_email(app, eml("malformed.eml"))  # Acme's team sees that one, staff do not
    assert (held.outcome, held.reseller_id) == (InboundOutcome.QUARANTINED, None)
    staff = staff_client(client_for, make_staff)

    assert _listed(staff.get("/staff/escalations/triage").text) == [held.id]
    assert staff.get(f"/staff/escalations/triage/{for_acme.id}").status_code == 404
    page = staff.get(f"/staff/escalations/triage/{held.id}").text
    assert "Kept aside because" in page and "unknown charset &#39;x-martian&#39; in Subject" in page
    assert "Message-ID" in page and "&lt;escalation-1@mail.example.com&gt;" in page
    assert "Authentication-Results" in page and "mx.inbound.test; spf=pass" in page
    assert "Open as an escalated ticket at" not in page  # nothing to open: it cannot be read

    done = staff.post(f"/staff/escalations/triage/{held.id}/dismiss", data={"csrf_token": csrf_from(page)})

    assert done.status_code == 303
    assert _listed(staff.get("/staff/escalations/triage").text) == []
    assert staff.get(f"/staff/escalations/triage/{held.id}").status_code == 404
    me = f"staff:{staff_id(app)}"
    assert [(actor, action) for actor, _, action, _, _ in audit_entries(app, f"inbound:{held.id}")] == [
        (me, "view"),
        (me, "dismiss"),
    ]
    with app.app_context():
        record = db.session.get(InboundEmail, held.id)
        assert record.dismissed_at is not None and record.outcome == InboundOutcome.QUARANTINED


def test_a_triage_email_dismissed_can_no_longer_be_opened(app, demo, client_for, make_staff) -> None:
    filed = file_email(app, eml("to-platform-unknown-sender.eml"))
    staff = staff_client(client_for, make_staff)
    token = csrf_from(staff.get(f"/staff/escalations/triage/{filed.id}").text)

    assert staff.post(f"/staff/escalations/triage/{filed.id}/dismiss").status_code == 400  # no CSRF token
    assert (
        staff.post(f"/staff/escalations/triage/{filed.id}/dismiss", data={"csrf_token": token}).status_code
        == 303
    )
    again = staff.post(f"/staff/escalations/triage/{filed.id}/dismiss", data={"csrf_token": token})
    opened = staff.post(
        f"/staff/escalations/triage/{filed.id}/open",
        data={"reseller_id": shop_id(app, "acme"), "csrf_token": token},
    )

    assert again.status_code == 404 and opened.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Ticket.id)) is None


def test_a_forged_escalation_opened_by_staff_is_a_marked_guest_ticket(
    app, demo, client_for, make_staff
) -> None:
    filed = file_email(app, eml("to-platform-forged.eml"))
    staff = staff_client(client_for, make_staff)
    page = staff.get(f"/staff/escalations/triage/{filed.id}").text
    assert "unverified sender" in page

    staff.post(
        f"/staff/escalations/triage/{filed.id}/open",
        data={"reseller_id": shop_id(app, "acme"), "csrf_token": csrf_from(page)},
    )

    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.customer_id is None and ticket.sender_unverified and ticket.tier.value == "platform"
    assert outbox(app, to="aisyah@example.com") == []
    assert "unverified sender" in staff.get(f"/staff/escalations/{ticket.id}").text


def test_a_proven_customers_email_opened_by_staff_is_in_her_account(
    app, demo, client_for, make_staff
) -> None:
    raw = eml(
        "to-reseller-new-ticket.eml",
        {"Acme Hosting Support <support@acme-hosting.test>": "help@nowhere.test"},
    )
    filed = file_email(app, raw)
    assert filed.reason == "not addressed to a shop we know"
    staff = staff_client(client_for, make_staff)
    page = staff.get(f"/staff/escalations/triage/{filed.id}").text

    staff.post(
        f"/staff/escalations/triage/{filed.id}/open",
        data={"reseller_id": shop_id(app, "acme"), "csrf_token": csrf_from(page)},
    )

    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.customer_id == customer_id(app) and not ticket.sender_unverified
