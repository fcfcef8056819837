"""The demo's privacy history: a disclosure, marketing consent history and correction requests, once."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from storefront.demo import seed_demo
from storefront.extensions import db
from storefront.models import (
    AuditEntry,
    ConsentEvent,
    CorrectionOutcome,
    CorrectionRequest,
    CorrectionStatus,
    Customer,
    Disclosure,
    LegalBasis,
    TeamMember,
    utcnow,
)
from tests.leakguard import find_leaks
from tests.shop.helpers import sign_in
from tests.steps import owner_client

MYNIC = "MYNIC Berhad (.my domain registry)"
ADDRESS = "Please change my address on future invoices to No. 8, Jalan Ampang, Kuala Lumpur."
PRIVACY_ROWS = (Disclosure, ConsentEvent, CorrectionRequest)


@pytest.fixture
def demo_with_history(app) -> None:
    """The demo as ``storefront seed-demo`` loads it, the customers' privacy history included."""
    with app.app_context():
        seed_demo()


def _customer(email: str) -> Customer:
    return db.session.scalar(select(Customer).where(Customer.email == email))


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model)) for model in (*PRIVACY_ROWS, AuditEntry)
    )


def test_seeding_twice_gives_the_demo_customers_their_privacy_history_once(app) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--no-history"])
    assert first.exit_code == 0, first.output
    assert f"disclosure to {MYNIC} for aisyah@example.com" in first.output
    with app.app_context():
        seeded = _counts()
    assert seeded == (1, 2, 2, 0)  # no audit entries: nobody looked at or changed anyone's data
    assert "Demo data already present." in runner.invoke(args=["seed-demo", "--no-history"]).output
    with app.app_context():
        assert _counts() == seeded
        now, aisyah = utcnow(), _customer("aisyah@example.com")
        assert aisyah.marketing_consent is False

        disclosure = db.session.scalar(select(Disclosure))
        assert (disclosure.customer_id, disclosure.recipient) == (aisyah.id, MYNIC)
        assert disclosure.data == "name, email, postal address as domain registrant"
        assert disclosure.purpose == "Registering the domain you ordered"
        assert (disclosure.legal_basis, disclosure.recorded_by) == (LegalBasis.CONTRACT, "system")
        assert timedelta(days=9) < now - disclosure.disclosed_at < timedelta(days=11)

        consents = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.created_at)).all()
        assert [(c.customer_id, c.granted, c.source) for c in consents] == [
            (aisyah.id, True, "sign-up"),
            (aisyah.id, False, "privacy centre"),
        ]
        assert round((now - consents[0].created_at) / timedelta(days=1)) == 60
        assert round((now - consents[1].created_at) / timedelta(days=1)) == 20

        asked = db.session.scalar(select(CorrectionRequest).where(CorrectionRequest.customer_id == aisyah.id))
        assert (asked.record, asked.details, asked.status) == ("other", ADDRESS, CorrectionStatus.OPEN)
        assert asked.due_at - asked.created_at == timedelta(days=21)
        assert round((now - asked.created_at) / timedelta(days=1)) == 3

        raj = _customer("raj@example.org")
        closed = db.session.scalar(select(CorrectionRequest).where(CorrectionRequest.customer_id == raj.id))
        owner = db.session.scalar(select(TeamMember).where(TeamMember.email == "owner@kedaihosting.test"))
        assert (closed.status, closed.outcome) == (CorrectionStatus.CLOSED, CorrectionOutcome.CORRECTED)
        assert closed.answer and closed.answered_by_id == owner.id and closed.reseller_id == raj.reseller_id
        assert closed.created_at < closed.answered_at == closed.closed_at < now


def test_an_older_demo_database_gets_the_privacy_history_it_lacks(app) -> None:
    with app.app_context():
        seed_demo(privacy_history=False)
        assert _counts() == (0, 0, 0, 0)
    again = app.test_cli_runner().invoke(args=["seed-demo", "--no-history"])
    assert "marketing consent history of aisyah@example.com" in again.output
    assert "correction request of raj@example.org" in again.output
    assert "shop acme" not in again.output
    with app.app_context():
        assert _counts() == (1, 2, 2, 0)
        assert _customer("aisyah@example.com").marketing_consent is False


def test_aisyahs_privacy_centre_shows_the_demo_disclosure_correction_and_consent(
    demo_with_history, client_for, app
) -> None:
    aisyah = client_for("acme.localhost")
    assert sign_in(aisyah, "aisyah@example.com").status_code == 302
    raw = aisyah.get("/account/privacy").text
    page = unescape(raw)
    disclosures = page.split('id="disclosures"')[1].split("</section>")[0]
    assert MYNIC in disclosures and "Registering the domain you ordered" in disclosures
    assert "Needed to provide what you ordered" in disclosures
    corrections = page.split('id="corrections"')[1].split("</section>")[0]
    assert ADDRESS in corrections and "Waiting for us" in corrections and "we answer by" in corrections
    marketing = page.split('id="marketing"')[1].split("</section>")[0]
    assert "agreed to marketing (sign-up)" in marketing
    assert "withdrew from marketing (privacy centre)" in marketing
    assert "Send me news and offers" in marketing
    export = aisyah.get("/account/privacy/export").get_data(as_text=True)
    assert MYNIC in export and ADDRESS in export
    assert find_leaks(app.config, raw, export) == []


def test_raj_sees_his_closed_correction_and_its_answer(demo_with_history, client_for, app) -> None:
    raj = client_for("kedai.localhost")
    assert sign_in(raj, "raj@example.org").status_code == 302
    raw = raj.get("/account/privacy").text
    corrections = unescape(raw).split('id="corrections"')[1].split("</section>")[0]
    assert "Kumar Digital Enterprise" in corrections and "Corrected" in corrections
    assert "Our answer" in corrections and "we answer by" not in corrections
    assert "Your data has not been disclosed to anyone." in raw
    assert find_leaks(app.config, raw) == []


def test_the_shops_teams_see_the_demo_corrections(demo_with_history, client_for, app) -> None:
    owner = owner_client(client_for)
    acme = owner.get("/console/corrections").text
    assert "<td hx-disable>Nur Aisyah</td>" in acme and "18 days left" in acme and "1 request" in acme
    link = acme.split('<td><a href="')[1].split('"')[0]
    request = owner.get(link).text
    assert MYNIC in unescape(request)  # disclosed lately: a correction is to be passed on
    kedai = owner_client(client_for, "kedai.localhost").get("/console/corrections?status=closed").text
    assert "<td hx-disable>Raj Kumar</td>" in kedai and "1 request" in kedai
    assert find_leaks(app.config, acme, request, kedai) == []
