"""Staff place a triage email at the shop they choose: an escalated ticket opens there."""

from __future__ import annotations

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import AuditEntry, Escalation, InboundEmail, InboundOutcome, Ticket
from tests.mail.inbound_support import eml, file_email, shop_id
from tests.shop.helpers import csrf_from
from tests.staff.escalation_helpers import staff_client


def test_staff_open_a_triage_email_at_the_shop_they_choose(app, demo, client_for, make_staff) -> None:
    filed = file_email(app, eml("to-platform-unknown-sender.eml"))
    assert filed.outcome == InboundOutcome.TRIAGE
    staff = staff_client(client_for, make_staff)
    page = staff.get(f"/staff/escalations/triage/{filed.id}").text
    assert "Open as an escalated ticket at" in page and "BlueWave Web" in page
    bluewave = shop_id(app, "bluewave")
    response = staff.post(
        f"/staff/escalations/triage/{filed.id}/open",
        data={"reseller_id": bluewave, "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 303
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert (ticket.reseller_id, ticket.tier.value, ticket.customer_id) == (bluewave, "platform", None)
        assert ticket.guest_email == filed.from_address
        assert db.session.scalar(select(Escalation.by)).startswith("staff:")
        inbound = db.session.get(InboundEmail, filed.id)
        assert (inbound.outcome, inbound.ticket_id) == (InboundOutcome.OPENED, ticket.id)
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"view", "open_ticket"} <= actions
    assert f"/staff/escalations/{ticket.id}" in response.headers["Location"]
    again = staff.post(
        f"/staff/escalations/triage/{filed.id}/open",
        data={"reseller_id": bluewave, "csrf_token": csrf_from(page)},
    )
    assert again.status_code == 404  # no longer waiting in triage


def test_an_unknown_shop_or_email_is_not_found(app, demo, client_for, make_staff) -> None:
    filed = file_email(app, eml("to-platform-unknown-sender.eml"))
    staff = staff_client(client_for, make_staff)
    token = csrf_from(staff.get("/staff/escalations/triage").text)
    assert (
        staff.post(
            f"/staff/escalations/triage/{filed.id}/open", data={"reseller_id": 999999, "csrf_token": token}
        ).status_code
        == 404
    )
    assert (
        staff.post(
            "/staff/escalations/triage/999999/open",
            data={"reseller_id": shop_id(app, "acme"), "csrf_token": token},
        ).status_code
        == 404
    )
    with app.app_context():
        assert db.session.get(InboundEmail, filed.id).outcome == InboundOutcome.TRIAGE
