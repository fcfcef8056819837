"""The console's billing schedule: owners set when the billing run does what; bad input changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import AuditEntry, Reseller
from tests.shop.helpers import csrf_from
from tests.steps import owner_client, team_sign_in

GOOD = {
    "renewal_days_before": "10",
    "reminder_days": "-3, 0, 5",
    "suspend_after_days": "4",
    "termination_warning_days": "10",
    "terminate_after_days": "21",
    "cancel_unpaid_after_days": "3",
}


def _schedule(app, slug: str = "acme") -> tuple:
    with app.app_context():
        shop = db.session.scalar(select(Reseller).where(Reseller.slug == slug))
        return (
            shop.renewal_days_before,
            shop.reminder_days,
            shop.suspend_after_days,
            shop.termination_warning_days,
            shop.terminate_after_days,
            shop.cancel_unpaid_after_days,
        )


DEFAULTS = (14, [-7, 0, 3, 7], 5, 7, 30, 7)


def _save(client, **values):
    token = csrf_from(client.get("/console/settings/billing").text)
    return client.post("/console/settings/billing", data={**GOOD, **values, "csrf_token": token})


def test_the_owner_sees_the_schedule_with_its_defaults(app, demo, client_for) -> None:
    page = owner_client(client_for).get("/console/settings/billing")
    assert page.status_code == 200
    assert 'value="-7, 0, 3, 7"' in page.text and 'value="14"' in page.text and 'value="30"' in page.text
    assert 'href="/console/settings/billing" aria-current="page"' in page.text


def test_a_valid_schedule_is_saved_and_audited(app, demo, client_for) -> None:
    client = owner_client(client_for)
    saved = _save(client, reseller_id="2")
    assert saved.status_code == 303
    assert _schedule(app) == (10, [-3, 0, 5], 4, 10, 21, 3)
    assert _schedule(app, "kedai") == DEFAULTS
    assert 'value="-3, 0, 5"' in client.get("/console/settings/billing").text
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "billing_schedule"))
        assert entry.actor.startswith("team:") and entry.actor_role == "owner"
        assert entry.record.startswith("reseller:") and "reminders -3, 0, +5" in entry.reason


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("renewal_days_before", "0", "Enter a whole number of days from 1 to 60."),
        ("renewal_days_before", "2.5", "Enter a whole number of days from 1 to 60."),
        ("suspend_after_days", "", "Enter a whole number of days from 1 to 60."),
        ("terminate_after_days", "3", "Terminate later than you suspend"),
        ("termination_warning_days", "21", "Enter a whole number of days from 1 to 20."),
        ("cancel_unpaid_after_days", "abc", "Enter a whole number of days from 1 to 90."),
        ("reminder_days", "-7 0 3", "separated by commas"),
        ("reminder_days", "100", "each from -60 to 60"),
    ],
)
def test_bad_input_answers_400_with_a_message_and_changes_nothing(
    app, demo, client_for, field: str, value: str, message: str
) -> None:
    refused = _save(owner_client(client_for), **{field: value})
    assert refused.status_code == 400
    assert message in refused.text
    assert _schedule(app) == DEFAULTS
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "billing_schedule")) is None


def test_a_post_without_its_csrf_token_changes_nothing(app, demo, client_for) -> None:
    refused = owner_client(client_for).post("/console/settings/billing", data=GOOD)
    assert refused.status_code == 400
    assert _schedule(app) == DEFAULTS


def test_agents_cannot_see_or_change_the_schedule(app, demo, client_for) -> None:
    client = client_for("acme.localhost")
    team_sign_in(client, "agent@acme-hosting.test")
    assert client.get("/console/settings/billing").status_code == 403
    assert client.post("/console/settings/billing", data=GOOD).status_code in (400, 403)
    assert _schedule(app) == DEFAULTS
