"""The console's isolation sweep: every route and form, fed numbers only another shop has given,
answers 404 and changes nothing; an agent is refused every page that is the owner's alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storefront.extensions import db
from storefront.models import CorrectionRequest, Customer, Invoice, Reseller, utcnow
from tests.commerce.credit_support import credit_invoice
from tests.shop.helpers import csrf_from, sign_in
from tests.steps import (
    CONSOLE_ID_MODELS,
    buy_and_pay,
    console_rules,
    console_url,
    ids_of_shop,
    invite_to_team,
    make_ticket,
    team_sign_in,
)

ACME = "acme.localhost"
# Where an agent may go: the tickets, the customers and their correction requests, signing in and
# out, invitations, and the second factor of their own account.
AGENT_PATHS = (
    "/console/tickets",
    "/console/held-mail",
    "/console/customers",
    "/console/corrections",
    "/console/invitations/",
    "/console/security",
)
AGENT_ENDPOINTS = {
    "console.index",
    "console.login",
    "console.login_code",
    "console.logout",
    "console.services",  # services are read by agents; only owners act on them
    "console.service",
}
# Plausible values for every field the console's forms take, so a refusal is about the id.
FORM = {
    "body": "Checking in.",
    "note": "Over to you.",
    "status": "open",
    "reference": "MBB-000123",
    "role": "agent",
    "name": "Someone",
    "email": "someone@example.com",
    "hostname": "shop.example.com",
}


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _rows_not_owned_by(app, reseller_id: int) -> dict[str, list[tuple]]:
    """Every row the shop ``reseller_id`` does not own (-1: every row), to compare before and after."""
    rows = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            if "reseller_id" in table.c:
                query = query.where((table.c.reseller_id != reseller_id) | table.c.reseller_id.is_(None))
            elif table.name == "reseller":
                query = query.where(table.c.id != reseller_id)
            rows[table.name] = [tuple(row) for row in db.session.execute(query)]
    return rows


def _correction_request(app, slug: str, email: str) -> None:
    """Store a correction request of a shop's customer, as the privacy centre does."""
    with app.app_context():
        customer = db.session.scalar(
            select(Customer).join(Reseller).where(Reseller.slug == slug, Customer.email == email)
        )
        db.session.add(
            CorrectionRequest(
                reseller_id=customer.reseller_id,
                customer_id=customer.id,
                record="other",
                details="Please correct my name.",
                due_at=utcnow() + timedelta(days=21),
            )
        )
        db.session.commit()


def _kedai_with_one_of_everything(app, client_for) -> dict[str, int | None]:
    kedai = client_for("kedai.localhost")
    sign_in(kedai, "raj@example.org")
    buy_and_pay(kedai, "starter", "isolated-kedai.com")
    make_ticket(app, "kedai", "raj@example.org")
    invite_to_team(client_for("kedai.localhost"), "owner@kedaihosting.test", "newcomer@example.com")
    _correction_request(app, "kedai", "raj@example.org")
    with app.app_context():
        invoice_id = db.session.scalar(
            select(Invoice.id).join(Reseller).where(Reseller.slug == "kedai").order_by(Invoice.id.desc())
        )
    credit_invoice(app, invoice_id, {1: 100}, outcome="refund")
    with app.app_context():  # Kedai's numbers move past any Acme has given
        kedai = db.session.scalar(select(Reseller.id).where(Reseller.slug == "kedai"))
        for model in CONSOLE_ID_MODELS.values():
            db.session.execute(
                update(model).where(model.reseller_id == kedai).values(number=model.number + 1000)
            )
        db.session.commit()
    ids = ids_of_shop(app, "kedai")
    assert all(number > 1000 for number in ids.values()), f"Kedai has no row for {ids}"
    return ids


def test_every_console_route_refuses_another_shops_numbers(app, demo, client_for) -> None:
    foreign = _kedai_with_one_of_everything(app, client_for)
    owner = client_for(ACME)
    team_sign_in(owner)
    token = csrf_from(owner.get("/console/tickets").text)
    before = _rows_not_owned_by(app, -1)  # every row, the shop's own included
    swept = []
    for rule in console_rules(app):
        if not set(rule.arguments) - {"token"}:
            continue
        url = console_url(rule, foreign)
        for method in _methods(rule):
            response = owner.open(url, method=method, data={**FORM, "csrf_token": token})
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
            swept.append(f"{method} {rule.rule}")
    assert len(swept) >= 10, swept
    assert _rows_not_owned_by(app, -1) == before


def _agents_may_open(rule) -> bool:
    return rule.endpoint in AGENT_ENDPOINTS or rule.rule.startswith(AGENT_PATHS)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_agent_is_refused_every_owner_page(app, demo, client_for, method) -> None:
    own = ids_of_shop(app, "acme")
    agent = client_for(ACME)
    team_sign_in(agent, "agent@acme-hosting.test")
    token = csrf_from(agent.get("/console/tickets").text)
    before = _rows_not_owned_by(app, -1)
    refused = []
    for rule in console_rules(app):
        if method not in rule.methods or _agents_may_open(rule):
            continue
        url = console_url(rule, own)
        response = agent.open(url, method=method, data={**FORM, "csrf_token": token})
        assert response.status_code == 403, f"{method} {url} answered {response.status_code} to an agent"
        refused.append(rule.rule)
    assert len(refused) >= 5, refused
    assert _rows_not_owned_by(app, -1) == before, f"an agent's refused {method} changed something"


def test_console_errors_stay_in_the_console(demo, client_for) -> None:
    agent = client_for(ACME)
    team_sign_in(agent, "agent@acme-hosting.test")
    refused = agent.get("/console/pricing")
    assert refused.status_code == 403 and "Your role does not give access" in refused.text
    assert 'aria-label="Console"' in refused.text and "/cart" not in refused.text
    missing = agent.get("/console/tickets/999")
    assert missing.status_code == 404 and 'aria-label="Console"' in missing.text
