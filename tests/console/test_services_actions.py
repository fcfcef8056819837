"""A service's console page and what owners do there: suspend, lift the shop's suspension, terminate
after a confirmation page, and move it to a new price; each written to the service's history, emailed to
the customer as the billing verbs do, and audited; agents only read; another shop's service is not found."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import func, insert, select

from storefront.extensions import db
from storefront.models import AuditEntry, OutboxMessage, Service, ServiceEvent, TeamMember
from tests.billing.helpers import (
    AISYAH,
    buy_service,
    history,
    pay_by_card,
    renewal_invoices,
    run,
    service_state,
)
from tests.console.shop_data import ACME, agent
from tests.leakguard import find_leaks, response_texts
from tests.shop.helpers import csrf_from, outbox
from tests.steps import customer_id, owner_client

BOUGHT = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)  # 31 Jan in Kuala Lumpur: due on 28 Feb
LATER = datetime(2026, 2, 5, 2, 0, tzinfo=UTC)


def _at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _number(app, service_id: int) -> int:
    with app.app_context():
        return db.session.get(Service, service_id).number


def _audited(app, service_id: int, action: str) -> list[tuple[str, str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.actor, AuditEntry.reason, AuditEntry.customer_id)
            .where(AuditEntry.record == f"service:{service_id}", AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


def _owner_actor(app) -> str:
    with app.app_context():
        member = db.session.scalar(select(TeamMember.id).where(TeamMember.email == "owner@acme-hosting.test"))
        return f"team:{member}"


def _post(client, path: str, data: dict):
    page = client.get(path.rsplit("/", 1)[0])
    return client.post(path, data={"csrf_token": csrf_from(page.text), **data})


@pytest.fixture
def service_id(app, demo, client_for) -> int:
    """Acme's demo customer's monthly Starter service, bought on 31 Jan 2026 and set up."""
    return buy_service(app, client_for, BOUGHT)


def test_the_page_shows_the_service_its_customer_invoices_and_history(app, client_for, service_id) -> None:
    run(app, _at(date(2026, 2, 14)), shop_slug="acme")  # the renewal invoice for 28 Feb
    with time_machine.travel(_at(date(2026, 2, 15)), tick=False):
        page = owner_client(client_for).get(f"/console/services/{_number(app, service_id)}")
    assert page.status_code == 200
    text = page.text
    assert "anchored.com" in text and "Starter, billed monthly" in text and "badge--active" in text
    assert 'href="/console/customers/1">Nur Aisyah</a>' in text and AISYAH in text
    assert "RM 12.90" in text and "28 Feb 2026" in text
    assert "INV-000001" in text and "the order" in text and "RM 77.90" in text
    assert "INV-000002" in text and "28 Feb 2026 to 30 Mar 2026" in text and "badge--unpaid" in text
    assert "created → pending" in text and "activated → active" in text and "Billing (automatic)" in text
    assert not find_leaks(app.config, *response_texts(page))
    assert _audited(app, service_id, "view") == [(_owner_actor(app), "", customer_id(app))]


def test_the_page_costs_the_same_queries_however_long_the_history(
    app, client_for, service_id, count_queries
) -> None:
    team = owner_client(client_for)
    path = f"/console/services/{_number(app, service_id)}"

    def queries() -> int:
        with count_queries() as statements:
            assert team.get(path).status_code == 200
        return len(statements)

    def add_events(count: int) -> None:
        with app.app_context():
            service = db.session.get(Service, service_id)
            db.session.execute(
                insert(ServiceEvent),
                [
                    {"reseller_id": service.reseller_id, "service_id": service_id, "at": BOUGHT}
                    | {"actor": f"team:{n}", "what": "note", "reason": f"Event {n}"}
                    for n in range(count)
                ],
            )
            db.session.commit()

    add_events(1)
    queries()
    few = queries()
    add_events(40)
    assert "Event 39" in team.get(path).text
    assert queries() == few


def test_owner_suspends_with_a_reason_and_lifts_it(app, client_for, service_id) -> None:
    path = f"/console/services/{_number(app, service_id)}"
    with time_machine.travel(LATER, tick=False):
        team = owner_client(client_for)
        for reason, message in (
            ("", "Give a reason the customer can read (3 to 300 characters)."),
            ("no", "Give a reason the customer can read (3 to 300 characters)."),
            ("x" * 301, "Give a reason the customer can read (3 to 300 characters)."),
            ("Bad\x07bell", "Remove the invisible control characters from the reason."),
            ("Ask WebServer support", "customers must never learn who hosts the shop"),
        ):
            refused = _post(team, f"{path}/suspend", {"reason": reason})
            assert refused.status_code == 400 and message in refused.text, reason
        assert service_state(app, service_id)[0] == "active"
        assert outbox(app, kind="service_suspended") == [] and _audited(app, service_id, "suspend") == []
        done = _post(team, f"{path}/suspend", {"reason": "  Spam sent from   your site "})
        assert done.status_code == 303 and done.headers["Location"] == path
        assert service_state(app, service_id) == ("suspended", date(2026, 2, 28), "staff")
        page = team.get(path).text
        assert "The service is suspended; the customer has been emailed why." in page
        assert "by the shop&#39;s decision: a payment does not lift it" in page
        again = _post(team, f"{path}/suspend", {"reason": "Spam again"})
        assert again.status_code == 409 and "already suspended by the shop" in again.text
        lifted = _post(team, f"{path}/unsuspend", {"reason": ""})
        assert lifted.status_code == 303 and service_state(app, service_id)[0] == "active"
        not_suspended = _post(team, f"{path}/unsuspend", {"reason": ""})
        assert not_suspended.status_code == 409 and "This service is not suspended." in not_suspended.text
    me = _owner_actor(app)
    assert history(app, service_id)[-2:] == [("suspended", me, "suspended"), ("unsuspended", me, "active")]
    (email,) = outbox(app, kind="service_suspended")
    assert email.to_address == AISYAH and "Spam sent from your site" in email.text_body
    assert "anchored.com" in email.subject
    assert _audited(app, service_id, "suspend") == [(me, "Spam sent from your site", customer_id(app))]
    assert _audited(app, service_id, "unsuspend") == [(me, "", customer_id(app))]
    shopper_log = _privacy_log(client_for)
    assert "suspended one of your hosting services" in shopper_log
    assert "lifted the suspension of one of your hosting services" in shopper_log


def _privacy_log(client_for) -> str:
    from tests.shop.helpers import sign_in

    shopper = client_for(ACME)
    sign_in(shopper, AISYAH)
    return shopper.get("/account/privacy").text


def test_a_suspension_for_non_payment_is_lifted_only_by_paying_unless_the_shop_keeps_it(
    app, client_for, service_id
) -> None:
    run(app, _at(date(2026, 2, 14)), shop_slug="acme")
    run(app, _at(date(2026, 3, 5)), shop_slug="acme")
    assert service_state(app, service_id) == ("suspended", date(2026, 2, 28), "overdue")
    path = f"/console/services/{_number(app, service_id)}"
    with time_machine.travel(_at(date(2026, 3, 6)), tick=False):
        team = owner_client(client_for)
        page = team.get(path).text
        assert "paying the overdue invoice lifts it" in page and 'id="unsuspend-reason"' not in page
        refused = _post(team, f"{path}/unsuspend", {"reason": "Let them back"})
        assert refused.status_code == 409
        assert "suspended because its renewal invoice is unpaid: paying the invoice lifts" in refused.text
        assert service_state(app, service_id)[2] == "overdue"
        kept = _post(team, f"{path}/suspend", {"reason": "Abuse report under review"})
        assert kept.status_code == 303
    assert service_state(app, service_id) == ("suspended", date(2026, 2, 28), "staff")
    assert history(app, service_id)[-1] == ("suspension_kept", _owner_actor(app), "suspended")
    (email,) = [m for m in outbox(app, kind="service_suspended") if "Abuse report" in m.text_body]
    assert "Please contact us to have it restored." in email.text_body
    pay_by_card(client_for, renewal_invoices(app, service_id)[0][0], _at(date(2026, 3, 7)))
    assert service_state(app, service_id) == ("suspended", date(2026, 3, 31), "staff")  # renewed, kept
    with time_machine.travel(_at(date(2026, 3, 8)), tick=False):
        team = owner_client(client_for)
        assert _post(team, f"{path}/unsuspend", {"reason": "Review done"}).status_code == 303
    assert service_state(app, service_id) == ("active", date(2026, 3, 31), None)


def test_terminating_asks_to_confirm_then_ends_the_service_for_good(app, client_for, service_id) -> None:
    path = f"/console/services/{_number(app, service_id)}"
    with time_machine.travel(LATER, tick=False):
        team = owner_client(client_for)
        assert f'href="{path}/terminate"' in team.get(path).text
        confirm = team.get(f"{path}/terminate")
        assert confirm.status_code == 200 and "Terminate service #1 · anchored.com?" in confirm.text
        assert "Terminate for good" in confirm.text and not find_leaks(app.config, *response_texts(confirm))
        assert service_state(app, service_id)[0] == "active"  # looking at the question changes nothing
        token = csrf_from(confirm.text)
        blank = team.post(f"{path}/terminate", data={"csrf_token": token, "reason": "  "})
        assert blank.status_code == 400 and "Give a reason the customer can read" in blank.text
        assert "Terminate for good" in blank.text and service_state(app, service_id)[0] == "active"
        no_token = team.post(f"{path}/terminate", data={"reason": "Closing the account"})
        assert no_token.status_code == 400 and service_state(app, service_id)[0] == "active"
        done = team.post(f"{path}/terminate", data={"csrf_token": token, "reason": "Closing the account"})
        assert done.status_code == 303
        assert service_state(app, service_id)[0] == "terminated"
        page = team.get(path).text
        assert 'id="actions"' not in page and "badge--terminated" in page
        again = team.post(f"{path}/terminate", data={"csrf_token": token, "reason": "Closing the account"})
        assert again.status_code == 409 and "This service has already ended." in again.text
    me = _owner_actor(app)
    assert history(app, service_id)[-1] == ("terminated", me, "terminated")
    (email,) = outbox(app, kind="service_terminated")
    assert "has been terminated: Closing the account." in email.text_body
    assert _audited(app, service_id, "terminate") == [(me, "Closing the account", customer_id(app))]


def test_a_new_price_needs_thirty_days_notice_and_no_less_than_wholesale(app, client_for, service_id) -> None:
    path = f"/console/services/{_number(app, service_id)}"
    with time_machine.travel(LATER, tick=False):  # 5 Feb in Kuala Lumpur: the earliest date is 7 Mar
        team = owner_client(client_for)
        page = team.get(path).text
        assert 'min="2026-03-07"' in page and "at the earliest 7 Mar 2026" in page
        for amount, day, status, message in (
            ("15.90", "2026-03-06", 400, "it can apply from 7 Mar 2026 at the earliest"),
            ("15.90", "06/03/2026", 400, "Enter the date the new price applies from as year-month-day"),
            ("15.90", "", 400, "Enter the date the new price applies from."),
            ("abc", "2026-03-07", 400, "Please enter the price as a number, for example 12.90."),
            ("-5", "2026-03-07", 400, "A price cannot be negative."),
            ("15.999", "2026-03-07", 400, "A price has at most 2 decimal places."),
            ("4.99", "2026-03-07", 400, "RM 4.99 is below the wholesale price of RM 5.00."),
            ("", "2026-03-07", 400, "Enter the new price, for example 29.90."),
        ):
            refused = _post(team, f"{path}/price", {"amount": amount, "applies_from": day})
            assert refused.status_code == status and message in refused.text, (amount, day)
        assert outbox(app, kind="price_change_notice") == []
        done = _post(team, f"{path}/price", {"amount": "15.90", "applies_from": "2026-03-28"})
        assert done.status_code == 303
        assert "RM 15.90 from 28 Mar 2026" in team.get(path).text
    with app.app_context():
        service = db.session.get(Service, service_id)
        assert (service.recurring_minor, service.new_recurring_minor) == (1290, 1590)
        assert service.new_price_from == date(2026, 3, 28)
    (email,) = outbox(app, kind="price_change_notice")
    assert email.to_address == AISYAH and "28 Mar 2026" in email.text_body
    me = _owner_actor(app)
    assert history(app, service_id)[-1] == ("price_change_scheduled", me, None)
    assert _audited(app, service_id, "price_change") == [(me, "15.90 from 2026-03-28", customer_id(app))]


def test_agents_read_the_page_but_change_nothing(app, client_for, service_id) -> None:
    helper, path = agent(app, client_for), f"/console/services/{_number(app, service_id)}"
    page = helper.get(path)
    assert page.status_code == 200 and "anchored.com" in page.text
    assert "Suspend the service" not in page.text and "Terminate" not in page.text
    token = csrf_from(page.text)
    for action, data in (
        ("suspend", {"reason": "Spam"}),
        ("unsuspend", {}),
        ("terminate", {"reason": "Closing"}),
        ("price", {"amount": "20", "applies_from": "2030-01-01"}),
    ):
        assert helper.post(f"{path}/{action}", data={"csrf_token": token, **data}).status_code == 403
    assert helper.get(f"{path}/terminate").status_code == 403
    assert service_state(app, service_id)[0] == "active"
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.kind.like("service_%"))
            )
            == 1
        )


def test_another_shops_service_is_not_found(app, client_for, service_id) -> None:
    kedai = owner_client(client_for, "kedai.localhost", "owner@kedaihosting.test")
    number = _number(app, service_id)
    page = kedai.get("/console/services")
    assert page.status_code == 200 and "anchored.com" not in page.text
    assert kedai.get(f"/console/services/{number}").status_code == 404
    token = csrf_from(page.text)
    for action, data in (
        ("suspend", {"reason": "Spam sent"}),
        ("unsuspend", {}),
        ("terminate", {"reason": "Closing"}),
        ("price", {"amount": "20", "applies_from": "2030-01-01"}),
    ):
        assert (
            kedai.post(f"/console/services/{number}/{action}", data={"csrf_token": token, **data}).status_code
            == 404
        )
    assert kedai.get(f"/console/services/{number}/terminate").status_code == 404
    assert service_state(app, service_id)[0] == "active"
