"""The disclosure register: admins record one customer's disclosure by shop and exact email."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import AuditEntry, Customer, Disclosure, LegalBasis, StaffRole
from storefront.privacy.disclosures import LEGAL_BASIS_LABELS, disclosures_of
from tests.shop.helpers import csrf_from, sign_in
from tests.staff.escalation_helpers import CUSTOMERS, shop_id, staff_client, staff_id

KL = ZoneInfo("Asia/Kuala_Lumpur")
NEW = "/staff/disclosures/new"


def today() -> datetime:
    return datetime.now(KL)


def form(app, **changes: str) -> dict[str, str]:
    """A complete disclosure of Acme's demo customer to the domain registry, yesterday."""
    values = {
        "shop": str(shop_id(app, "acme")),
        "customer_email": "aisyah@example.com",
        "recipient": "MYNIC domain registry",
        "data_disclosed": "Name, email, postal address, domain name",
        "purpose": "Registering the customer's domain acme-shop.my",
        "legal_basis": "contract",
        "reference": "REG-2026-0042",
        "disclosed_on": (today() - timedelta(days=1)).strftime("%Y-%m-%d"),
    }
    return {**values, **changes}


def record(client, data: dict[str, str]):
    token = csrf_from(client.get(NEW).text)
    return client.post(NEW, data={**data, "csrf_token": token})


def customer_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Customer.id).where(
                Customer.reseller_id == shop_id(app, slug), Customer.email == CUSTOMERS[slug]
            )
        )


def disclosure_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Disclosure.id)))


@pytest.fixture
def admin(demo, client_for, make_staff):
    return staff_client(client_for, make_staff, StaffRole.ADMIN)


def test_an_admin_records_a_disclosure_with_every_field(app, admin) -> None:
    response = record(admin, form(app, customer_email="  Aisyah@Example.com "))
    assert response.status_code == 303 and response.headers["Location"] == "/staff/disclosures"
    aisyah = customer_id(app, "acme")
    with app.app_context():
        saved = db.session.scalar(select(Disclosure))
        assert (saved.customer_id, saved.reseller_id) == (aisyah, shop_id(app, "acme"))
        assert saved.recipient == "MYNIC domain registry"
        assert saved.data == "Name, email, postal address, domain name"
        assert saved.purpose == "Registering the customer's domain acme-shop.my"
        assert saved.legal_basis == LegalBasis.CONTRACT and saved.reference == "REG-2026-0042"
        assert saved.disclosed_at.astimezone(KL).date() == (today() - timedelta(days=1)).date()
        assert saved.recorded_by == f"staff:{staff_id(app)}"
    page = admin.get("/staff/disclosures").text
    assert f"customer #{aisyah} of Acme Hosting" in page  # the flash
    for shown in ("MYNIC domain registry", "REG-2026-0042", "Acme Hosting", f"customer #{aisyah}"):
        assert shown in page
    assert LEGAL_BASIS_LABELS[LegalBasis.CONTRACT] in page


def test_the_customer_sees_the_disclosure_in_their_privacy_centre(app, admin, client_for) -> None:
    record(admin, form(app, legal_basis="legal_duty", recipient="Sessions Court", reference="WA-24-1"))
    aisyah = client_for("acme.localhost")
    sign_in(aisyah, "aisyah@example.com")
    page = aisyah.get("/account/privacy").text
    shown = unescape(page.split('id="disclosures"', 1)[1].split("</section>", 1)[0])
    day = (today() - timedelta(days=1)).strftime("%-d %b %Y")
    for text in ("Sessions Court", "Name, email, postal address, domain name", "WA-24-1", day):
        assert text in shown, text
    assert LEGAL_BASIS_LABELS[LegalBasis.LEGAL_DUTY] in shown
    assert "Registering the customer's domain acme-shop.my" in shown
    raj = client_for("kedai.localhost")
    sign_in(raj, "raj@example.org")
    assert "Your data has not been disclosed to anyone." in raj.get("/account/privacy").text
    with app.app_context():
        assert disclosures_of(customer_id(app, "kedai")) == []


def test_recording_is_audited_under_the_customer(app, admin) -> None:
    record(admin, form(app, recipient="CTOS credit reference", legal_basis="legitimate_interest"))
    with app.app_context():
        disclosure_id = db.session.scalar(select(Disclosure.id))
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "record_disclosure"))
        assert entry.actor == f"staff:{staff_id(app)}" and entry.actor_role == "admin"
        assert entry.record == f"disclosure:{disclosure_id}" and entry.reason == "CTOS credit reference"
        assert (entry.customer_id, entry.reseller_id) == (customer_id(app, "acme"), shop_id(app, "acme"))


def test_the_register_shows_customers_by_number_only(app, admin) -> None:
    record(admin, form(app))
    record(admin, form(app, shop=str(shop_id(app, "kedai")), customer_email="raj@example.org"))
    page = admin.get("/staff/disclosures").text
    assert (
        f"customer #{customer_id(app, 'acme')}" in page and f"customer #{customer_id(app, 'kedai')}" in page
    )
    for private in ("aisyah@example.com", "Nur Aisyah", "raj@example.org", "Raj Kumar"):
        assert private not in page
    only_kedai = admin.get(f"/staff/disclosures?shop={shop_id(app, 'kedai')}").text
    assert f"customer #{customer_id(app, 'kedai')}" in only_kedai
    assert f"customer #{customer_id(app, 'acme')}<" not in only_kedai


def test_viewing_the_register_is_audited(app, admin) -> None:
    admin.get("/staff/disclosures")
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.record == "disclosures:page-1"))
        assert entry.actor == f"staff:{staff_id(app)}" and entry.action == "list"


@pytest.mark.parametrize("email", ["nobody@example.com", "aisyah@example", "weiming@example.net"])
def test_only_an_exact_email_of_that_shop_finds_a_customer(app, admin, email: str) -> None:
    """An unknown email, a malformed one, or another shop's customer: the same answer, no hints."""
    response = record(admin, form(app, customer_email=email))
    assert response.status_code == 400
    assert "No customer with that email at Acme Hosting." in response.text
    for other in ("aisyah@example.com", "Nur Aisyah", "weiming@example.net", "Tan Wei Ming", "Raj Kumar"):
        assert other not in response.text.replace(f'value="{email}"', "")
    assert disclosure_count(app) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"disclosed_on": "2999-01-01"}, "cannot be in the future"),
        ({"disclosed_on": "0001-01-01"}, "Enter a date from 1990 on."),
        ({"disclosed_on": "01/02/2026"}, "Enter the date as YYYY-MM-DD."),
        ({"disclosed_on": ""}, "Enter the date of the disclosure."),
        ({"recipient": "  "}, "Enter who the data went to."),
        ({"recipient": "x" * 201}, "cannot be longer than 200 characters"),
        ({"data_disclosed": ""}, "Enter which data was disclosed."),
        ({"purpose": "p" * 501}, "cannot be longer than 500 characters"),
        ({"legal_basis": "because"}, "Choose a legal basis from the list."),
        ({"reference": "r" * 121}, "cannot be longer than 120 characters"),
        ({"shop": "999999"}, "Choose a shop from the list."),
        ({"shop": "acme"}, "Choose a shop from the list."),
        ({"customer_email": ""}, "Enter the customer's email address."),
    ],
)
def test_bad_input_answers_400_and_saves_nothing(app, admin, changes: dict, message: str) -> None:
    response = record(admin, form(app, **changes))
    assert response.status_code == 400 and message in unescape(response.text)
    assert "Nothing was saved" in response.text
    assert disclosure_count(app) == 0


def test_a_disclosure_dated_today_is_accepted(app, admin) -> None:
    assert record(admin, form(app, disclosed_on=today().strftime("%Y-%m-%d"))).status_code == 303
    assert disclosure_count(app) == 1


def test_a_post_without_csrf_token_changes_nothing(app, admin) -> None:
    assert admin.post(NEW, data=form(app)).status_code == 400
    assert disclosure_count(app) == 0


@pytest.mark.parametrize("role", [StaffRole.SUPPORT, StaffRole.BILLING])
def test_only_admins_reach_the_register(app, demo, client_for, make_staff, role: StaffRole) -> None:
    client = staff_client(client_for, make_staff, role)
    assert client.get("/staff/disclosures").status_code == 403
    assert client.get(NEW).status_code == 403
    token = csrf_from(client.get("/staff/security").text)
    assert client.post(NEW, data={**form(app), "csrf_token": token}).status_code == 403
    assert disclosure_count(app) == 0
    assert "/staff/disclosures" not in client.get("/staff/security").text


def test_the_register_costs_the_same_queries_however_many_rows(app, admin, count_queries) -> None:
    def add(n: int) -> None:
        with app.app_context():
            for i in range(n):
                db.session.add(
                    Disclosure(
                        reseller_id=shop_id(app, "acme"),
                        customer_id=customer_id(app, "acme"),
                        recipient=f"Agency {i}",
                        data="Name",
                        purpose="Check",
                        legal_basis=LegalBasis.LEGITIMATE,
                        disclosed_at=datetime.now(KL),
                        recorded_by="staff:1",
                    )
                )
            db.session.commit()

    add(2)
    with count_queries() as few:
        admin.get("/staff/disclosures")
    add(30)
    with count_queries() as many:
        page = admin.get("/staff/disclosures").text
    assert len(many) == len(few)
    assert "Page 1 of 2 · 32 disclosures" in page and "Agency 29" in page


def test_the_register_pages_and_refuses_an_unknown_shop(app, admin) -> None:
    assert admin.get("/staff/disclosures?shop=99999").status_code == 400
    assert "There is no such shop." in admin.get("/staff/disclosures?shop=abc").text
    assert "There is no page 7" in admin.get("/staff/disclosures?page=7").text
