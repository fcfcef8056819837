"""The admin desk opens and changes shops and plans; bad input is refused and changes nothing."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from storefront.branding import shop_admin
from storefront.extensions import db
from storefront.mail.delivery import build_email
from storefront.models import (
    BillingCycle,
    Order,
    OutboxMessage,
    Plan,
    PlanPrice,
    Reseller,
    StaffRole,
    TeamInvitation,
)
from tests.leakguard import find_leaks
from tests.shop.helpers import csrf_from, link_in, outbox, sign_in
from tests.staff.escalation_helpers import audit_entries, staff_client, staff_id
from tests.steps import team_sign_in

ADMIN_EMAIL = "boss@platform.test"
NEW_SHOP = {
    "slug": "Sinar-Host",
    "brand_name": "  Sinar   Hosting ",
    "legal_name": "Sinar Digital Sdn Bhd",
    "postal_address": "12 Jalan Ampang\n50450 Kuala Lumpur",
    "support_email": "Help@Sinar.test",
    "support_phone": "+60 3 1111 2222",
    "timezone": "Asia/Kuala_Lumpur",
    "owner_name": "Nurul Huda",
    "owner_email": "nurul@sinar.test",
}
NEW_PLAN = {
    "code": "ultra",
    "name": "Ultra",
    "summary": "For busy shops.",
    "features": "50 GB NVMe storage\n\nUnlimited email accounts\n",
    "price_monthly": "40",
    "price_quarterly": "",
    "price_annually": "400.00",
}


@pytest.fixture
def admin(client_for, make_staff, demo):
    """A client signed in as an admin, on the demo."""
    return staff_client(client_for, make_staff, role=StaffRole.ADMIN, email=ADMIN_EMAIL)


def post(client, path: str, data: dict):
    token = csrf_from(client.get("/staff/shops").text)
    return client.post(path, data={**data, "csrf_token": token})


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def shop(app, slug: str) -> Reseller | None:
    with app.app_context():
        found = db.session.scalar(select(Reseller).where(Reseller.slug == slug))
        db.session.expunge_all()
        return found


def plan(app, code: str) -> Plan | None:
    with app.app_context():
        found = db.session.scalar(select(Plan).where(Plan.code == code))
        if found is not None:
            found.prices  # noqa: B018  (loaded before the session closes)
        db.session.expunge_all()
        return found


def test_an_admin_opens_a_shop_whose_owner_accepts_and_runs_it(app, admin, client_for) -> None:
    response = post(admin, "/staff/shops/new", NEW_SHOP)
    assert response.status_code == 303
    opened = shop(app, "sinar-host")
    assert opened.brand_name == "Sinar Hosting" and opened.support_email == "help@sinar.test"
    assert opened.postal_address == "12 Jalan Ampang\n50450 Kuala Lumpur" and opened.theme == "default"
    assert "Sinar Hosting is open" in admin.get(response.headers["Location"]).text
    assert "Sinar Hosting" in admin.get("/staff/shops").text
    # The shop answers on its slug host at once, under its own brand.
    storefront = client_for("sinar-host.localhost").get("/")
    assert storefront.status_code == 200 and "Sinar Hosting" in storefront.text
    # The owner's invitation comes from the shop, and makes them its owner.
    (message,) = outbox(app, to="nurul@sinar.test", kind="team_invitation")
    assert "Your Sinar Hosting console is ready" in message.subject
    assert not find_leaks(app.config, build_email(message).as_string())
    path = urlsplit(link_in(message, "/console/invitations/")).path
    owner = client_for("sinar-host.localhost")
    token = csrf_from(owner.get(path).text)
    data = {"name": "Nurul Huda", "password": "a long new password", "confirm": "a long new password"}
    assert owner.post(path, data={**data, "csrf_token": token}).status_code == 302
    assert team_sign_in(owner, "nurul@sinar.test", "a long new password").status_code == 302
    team = owner.get("/console/team")
    assert team.status_code == 200 and "Nurul Huda" in team.text
    actor = f"staff:{staff_id(app, ADMIN_EMAIL)}"
    assert audit_entries(app, f"reseller:{opened.id}") == [
        (actor, "admin", "open_shop", "sinar-host", opened.id)
    ]
    with app.app_context():
        invitation = db.session.scalar(
            select(TeamInvitation).where(TeamInvitation.email == "nurul@sinar.test")
        )
        assert invitation.role.value == "owner" and invitation.invited_by_id is None
    assert audit_entries(app, f"team_invitation:{invitation.id}") == [
        (actor, "admin", "invite", "owner", opened.id)
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"slug": "no spaces"}, "lower-case letters, digits and hyphens"),
        ({"slug": "-edge"}, "lower-case letters, digits and hyphens"),
        ({"slug": "q"}, "2 to 40 lower-case letters"),
        ({"slug": "staff"}, "kept for the platform"),
        ({"slug": "new"}, "kept for the platform"),
        ({"slug": "web-server"}, "customers must never learn who hosts the shop"),
        ({"slug": "webserver-shop"}, "customers must never learn who hosts the shop"),
        ({"slug": "acme"}, "Another shop already has the slug acme"),
        ({"brand_name": "   "}, "Enter the shop&#39;s brand name"),
        ({"brand_name": "WebServer Resell"}, "customers must never learn who hosts the shop"),
        ({"legal_name": ""}, "legal name"),
        ({"support_email": "not-an-email"}, "valid support email"),
        ({"support_email": "support@acme-hosting.test"}, "Another shop already receives its mail"),
        ({"support_phone": "call me"}, "Use digits"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"owner_email": "nobody"}, "valid email address for the owner"),
        ({"owner_name": ""}, "owner&#39;s name"),
        ({"brand_name": "x" * 81}, "80 characters"),
        ({"brand_name": "Bell\x07Shop"}, "control character"),
        ({"legal_name": "Sinar \u202eDigital"}, "control character"),
        ({"owner_email": "ops@webserver.com.my"}, "The owner: "),
    ],
)
def test_a_shop_typed_wrongly_is_refused_and_nothing_is_saved(app, admin, change: dict, message: str) -> None:
    shops, invitations, mails = count(app, Reseller), count(app, TeamInvitation), count(app, OutboxMessage)
    response = post(admin, "/staff/shops/new", {**NEW_SHOP, **change})
    assert response.status_code == 400
    assert message in response.text
    assert 'value="Sinar Digital Sdn Bhd"' in response.text or "legal_name" in change
    assert (count(app, Reseller), count(app, TeamInvitation), count(app, OutboxMessage)) == (
        shops,
        invitations,
        mails,
    )


def test_an_admin_changes_a_shops_legal_details_and_its_slug_stays(app, admin, client_for) -> None:
    acme = shop(app, "acme")
    page = admin.get("/staff/shops/acme")
    assert page.status_code == 200 and 'value="Acme Hosting"' in page.text and 'name="slug"' not in page.text
    data = {
        "slug": "acme-web",  # not a field of this form: ignored
        "brand_name": acme.brand_name,
        "legal_name": "Acme Web Services Sdn Bhd",
        "postal_address": acme.postal_address,
        "support_email": acme.support_email,
        "support_phone": acme.support_phone,
        "timezone": acme.timezone,
    }
    response = post(admin, "/staff/shops/acme", data)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/shops/acme"
    assert "Saved: legal name." in admin.get("/staff/shops/acme").text
    assert shop(app, "acme").legal_name == "Acme Web Services Sdn Bhd" and shop(app, "acme-web") is None
    actor = f"staff:{staff_id(app, ADMIN_EMAIL)}"
    before = f"legal_name: {acme.legal_name!r} to 'Acme Web Services Sdn Bhd'"
    assert audit_entries(app, f"reseller:{acme.id}") == [(actor, "admin", "edit_shop", before, acme.id)]
    # Saving again changes nothing and audits nothing more.
    assert post(admin, "/staff/shops/acme", data).status_code == 303
    assert "Nothing changed." in admin.get("/staff/shops/acme").text
    assert len(audit_entries(app, f"reseller:{acme.id}")) == 1


def test_a_shop_cannot_take_another_shops_support_address(app, admin) -> None:
    acme = shop(app, "acme")
    data = {
        "brand_name": acme.brand_name,
        "legal_name": "Changed Sdn Bhd",
        "support_email": "support@kedaihosting.test",
        "timezone": acme.timezone,
    }
    response = post(admin, "/staff/shops/acme", data)
    assert response.status_code == 400 and "Another shop already receives its mail" in response.text
    assert shop(app, "acme").legal_name == acme.legal_name
    assert admin.get("/staff/shops/no-such-shop").status_code == 404


def test_a_slug_taken_between_the_check_and_the_insert_is_refused_not_a_500(app, admin, monkeypatch) -> None:
    monkeypatch.setattr(shop_admin, "checked_slug", lambda slug: slug)  # as if checked just before
    shops = count(app, Reseller)
    response = post(admin, "/staff/shops/new", {**NEW_SHOP, "slug": "acme"})
    assert response.status_code == 400 and "took that slug or support address just now" in response.text
    assert count(app, Reseller) == shops and count(app, TeamInvitation) == 0


def test_an_owner_is_invited_only_to_a_shop_without_one(app, admin) -> None:
    data = {"owner_name": "Second Owner", "owner_email": "second@acme-hosting.test"}
    refused = post(admin, "/staff/shops/acme/owner-invitation", data)
    assert refused.status_code == 400 and "Acme Hosting has an owner" in refused.text
    assert outbox(app, to="second@acme-hosting.test", kind="team_invitation") == []
    # A new shop whose owner has not accepted yet can be invited again.
    assert post(admin, "/staff/shops/new", NEW_SHOP).status_code == 303
    again = {"owner_name": "Nurul Huda", "owner_email": "nurul.huda@sinar.test"}
    assert post(admin, "/staff/shops/sinar-host/owner-invitation", again).status_code == 303
    (message,) = outbox(app, to="nurul.huda@sinar.test", kind="team_invitation")
    assert "Sinar Hosting is ready for you as its owner" in message.text_body
    staff = post(admin, "/staff/shops/sinar-host/owner-invitation", {**again, "owner_email": ADMIN_EMAIL})
    assert staff.status_code == 400 and "The owner: " in staff.text


def test_an_admin_adds_a_plan_that_shops_can_then_price(app, admin, client_for) -> None:
    response = post(admin, "/staff/plans/new", NEW_PLAN)
    assert response.status_code == 303
    added = plan(app, "ultra")
    assert added.active and added.features == ["50 GB NVMe storage", "Unlimited email accounts"]
    assert {price.cycle: price.amount_minor for price in added.prices} == {
        BillingCycle.MONTHLY: 4000,
        BillingCycle.ANNUALLY: 40000,
    }
    listing = admin.get("/staff/plans").text
    assert "Ultra" in listing and "RM 40.00/mo" in listing and "RM 400.00/yr" in listing
    actor = f"staff:{staff_id(app, ADMIN_EMAIL)}"
    assert audit_entries(app, f"plan:{added.id}") == [(actor, "admin", "create_plan", "ultra", None)]
    owner = client_for("acme.localhost")
    team_sign_in(owner, "owner@acme-hosting.test")
    assert "Ultra" in owner.get("/console/pricing").text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "starter"}, "already exists"),
        ({"code": "Has Space"}, "lower-case letters, digits and hyphens"),
        ({"code": "new"}, "kept for the desk"),
        ({"code": "webserver-pro"}, "customers must never learn who hosts the shop"),
        ({"name": ""}, "name of 1 to 80"),
        ({"price_monthly": "", "price_annually": ""}, "at least one billing cycle"),
        ({"price_monthly": "12.345"}, "Monthly price: A price has at most 2 decimal places"),
        ({"price_monthly": "-5"}, "cannot be negative"),
        ({"price_monthly": "ten"}, "as a number"),
        ({"summary": "Hosted by WebServer Sdn Bhd"}, "customers must never learn who hosts the shop"),
        ({"features": "\n".join(f"feature {n}" for n in range(13))}, "at most 12 features"),
    ],
)
def test_a_plan_typed_wrongly_is_refused_and_nothing_is_saved(app, admin, change: dict, message: str) -> None:
    plans = count(app, Plan)
    response = post(admin, "/staff/plans/new", {**NEW_PLAN, **change})
    assert response.status_code == 400
    assert message in response.text
    assert count(app, Plan) == plans


def test_an_admin_changes_a_plans_texts_and_prices_but_keeps_its_cycles(app, admin) -> None:
    page = admin.get("/staff/plans/business")
    assert page.status_code == 200 and 'value="120.00"' in page.text
    data = {
        "name": "Business",
        "summary": "Room to grow.",
        "features": "20 GB storage",
        "price_monthly": "13.00",
        "price_quarterly": "35.00",
        "price_annually": "120.00",
    }
    assert post(admin, "/staff/plans/business", data).status_code == 303
    changed = plan(app, "business")
    assert changed.summary == "Room to grow." and changed.features == ["20 GB storage"]
    assert {p.cycle: p.amount_minor for p in changed.prices}[BillingCycle.MONTHLY] == 1300
    assert audit_entries(app, f"plan:{changed.id}")[-1][2:4] == (
        "update_plan",
        "summary; features; monthly price 1200 to 1300",
    )
    refused = post(admin, "/staff/plans/business", {**data, "price_quarterly": ""})
    assert refused.status_code == 400 and "Quarterly keeps a price" in refused.text
    assert {p.cycle for p in plan(app, "business").prices} == set(BillingCycle)
    assert admin.get("/staff/plans/nothing").status_code == 404


def test_a_retired_plan_leaves_every_shop_and_can_come_back(app, admin, client_for) -> None:
    shopper = client_for("acme.localhost")
    assert 'id="plan-pro-name"' in shopper.get("/plans").text
    assert post(admin, "/staff/plans/pro/retire", {}).status_code == 303
    assert "Pro is retired" in admin.get("/staff/plans").text
    assert not plan(app, "pro").active
    assert 'id="plan-pro-name"' not in shopper.get("/plans").text
    assert shopper.get("/plans/pro").status_code == 404
    assert post(admin, "/staff/plans/pro/retire", {}).status_code == 303
    assert "Pro already was." in admin.get("/staff/plans").text
    assert post(admin, "/staff/plans/pro/reinstate", {}).status_code == 303
    assert plan(app, "pro").active
    actions = [entry[2] for entry in audit_entries(app, f"plan:{plan(app, 'pro').id}")]
    assert actions == ["retire_plan", "reinstate_plan"]


def test_the_desk_forms_need_their_csrf_token(app, admin) -> None:
    assert admin.post("/staff/plans/pro/retire").status_code == 400
    assert admin.post("/staff/shops/new", data=NEW_SHOP).status_code == 400
    assert plan(app, "pro").active and shop(app, "sinar-host") is None


def test_wholesale_never_rises_above_a_shops_retail_price(app, admin) -> None:
    data = {
        "name": "Business",
        "summary": "",
        "features": "",
        "price_monthly": "12.00",
        "price_quarterly": "35.00",
        "price_annually": "999.00",
    }
    refused = post(admin, "/staff/plans/business", data)
    assert refused.status_code == 400
    assert (
        "above what shops charge" in refused.text and "Acme Hosting sells it annually at RM" in refused.text
    )
    assert {p.cycle: p.amount_minor for p in plan(app, "business").prices}[BillingCycle.ANNUALLY] == 12000


def test_checkout_refuses_a_sale_below_wholesale(app, admin, client_for) -> None:
    customer = client_for("acme.localhost")
    sign_in(customer, "aisyah@example.com")
    token = csrf_from(customer.get("/plans/business").text)
    customer.post("/cart/add", data={"plan": "business", "cycle": "monthly", "csrf_token": token})
    with app.app_context():  # as if the wholesale price rose while the customer shopped
        price = db.session.scalar(
            select(PlanPrice)
            .join(Plan)
            .where(Plan.code == "business", PlanPrice.cycle == BillingCycle.MONTHLY)
        )
        price.amount_minor = 10_000_00
        db.session.commit()
    page = customer.get("/checkout").text
    item = re.search(r'name="domain-([0-9a-f]{8})"', page).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    data = {
        "csrf_token": csrf_from(page),
        "idempotency_key": key,
        f"choice-{item}": "existing",
        f"domain-{item}": "example.org",
    }
    placed = customer.post("/checkout", data=data)
    assert placed.status_code == 400 and "cannot be ordered monthly now" in placed.text
    assert count(app, Order) == 0
