"""The console's retention settings: owners set how long closed accounts and tickets are kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import AuditEntry, Reseller, utcnow
from tests.leakguard import find_leaks, response_texts
from tests.privacy.retention_helpers import add_customer, add_ticket, months_ago
from tests.shop.helpers import csrf_from
from tests.steps import owner_client, team_sign_in

ACME = "acme.localhost"
AGENT = "agent@acme-hosting.test"


def _months(app, slug: str = "acme") -> tuple[int, int]:
    with app.app_context():
        shop = db.session.scalar(select(Reseller).where(Reseller.slug == slug))
        return shop.retain_closed_accounts_months, shop.retain_closed_tickets_months


def _save(client, accounts: str, tickets: str, **extra):
    token = csrf_from(client.get("/console/retention").text)
    data = {"retain_closed_accounts_months": accounts, "retain_closed_tickets_months": tickets}
    return client.post("/console/retention", data={**data, "csrf_token": token, **extra})


def test_the_owner_sees_the_retention_and_what_the_next_purge_does(app, demo, client_for) -> None:
    now = utcnow()
    former = add_customer(app, "acme", "former@example.com", closed_at=months_ago(25, now))
    add_ticket(app, "acme", customer_id=former, opened_at=months_ago(30, now))
    add_ticket(
        app,
        "acme",
        guest=("Ben", "ben@example.com"),
        opened_at=months_ago(30, now),
        closed_at=months_ago(26, now),
    )
    add_ticket(app, "acme", guest=("Ben", "ben@example.com"), opened_at=months_ago(30, now))
    add_customer(app, "kedai", "former@example.com", closed_at=months_ago(25, now))
    page = owner_client(client_for).get("/console/retention")
    assert page.status_code == 200
    assert "Closed accounts are kept for 24 months after closing, then anonymised" in page.text
    assert "Closed tickets are kept for 24 months after closing, then their messages are removed" in page.text
    assert "anonymised by the next purge: 1 account and 2 tickets." in page.text
    assert 'href="/console/retention" aria-current="page"' in page.text
    assert find_leaks(app.config, *response_texts(page)) == []


def test_nothing_past_retention_is_said_plainly(app, demo, client_for) -> None:
    assert "Nothing is past retention now." in owner_client(client_for).get("/console/retention").text


def test_the_owner_saves_new_months_and_the_change_is_audited(app, demo, client_for) -> None:
    client = owner_client(client_for)
    saved = _save(client, " 36 ", "6", reseller_id="2")
    assert saved.status_code == 303
    assert _months(app) == (36, 6)
    assert _months(app, "kedai") == (24, 24)
    page = client.get("/console/retention").text
    assert "Closed accounts are kept for 36 months" in page and "Closed tickets are kept for 6 months" in page
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention"))
        assert entry.record.startswith("reseller:") and entry.reason == "accounts 36 months, tickets 6 months"
        assert entry.actor.startswith("team:") and entry.actor_role == "owner"


def test_a_shorter_retention_shows_in_the_preview(app, demo, client_for) -> None:
    add_customer(app, "acme", "former@example.com", closed_at=months_ago(13, utcnow()))
    client = owner_client(client_for)
    assert "Nothing is past retention now." in client.get("/console/retention").text
    _save(client, "12", "24")
    assert "anonymised by the next purge: 1 account and 0 tickets." in client.get("/console/retention").text


@pytest.mark.parametrize(
    ("accounts", "tickets"),
    [
        ("0", "24"),
        ("24", "121"),
        ("1.5", "24"),
        ("24", "twelve"),
        ("", "24"),
        ("24", ""),
        ("-3", "24"),
        ("1e2", "24"),
    ],
)
def test_bad_months_are_refused_and_nothing_is_saved(app, demo, client_for, accounts, tickets) -> None:
    response = _save(owner_client(client_for), accounts, tickets)
    assert response.status_code == 400
    assert "Enter a whole number of months from 1 to 120." in response.text
    assert _months(app) == (24, 24)
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention")) is None


def test_the_extremes_are_allowed(app, demo, client_for) -> None:
    assert _save(owner_client(client_for), "1", "120").status_code == 303
    assert _months(app) == (1, 120)


def test_a_post_without_its_csrf_token_changes_nothing(app, demo, client_for) -> None:
    client = owner_client(client_for)
    data = {"retain_closed_accounts_months": "6", "retain_closed_tickets_months": "6"}
    assert client.post("/console/retention", data=data).status_code == 400
    assert _months(app) == (24, 24)


def test_agents_are_refused_and_do_not_see_the_link(app, demo, client_for) -> None:
    agent = client_for(ACME)
    assert team_sign_in(agent, AGENT).status_code == 302
    assert agent.get("/console/retention").status_code == 403
    token = csrf_from(agent.get("/console/tickets").text)
    data = {"retain_closed_accounts_months": "1", "retain_closed_tickets_months": "1", "csrf_token": token}
    assert agent.post("/console/retention", data=data).status_code == 403
    assert "/console/retention" not in agent.get("/console/tickets").text
    assert _months(app) == (24, 24)


def test_signed_out_visitors_are_sent_to_sign_in(demo, client_for) -> None:
    response = client_for(ACME).get("/console/retention")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
