"""Least privilege on the staff host: every staff route, found in the URL map, tried with every role.

Support works escalations, billing works orders and provisioning, admin manages shops, plans,
staff and reads the audit log. A route that appears without an expectation here fails the suite.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Invoice, Service, StaffRole
from tests.staff.escalation_helpers import STAFF, open_for, shop_id, staff_client
from tests.staff.test_login import csrf_token

ADMIN = frozenset({StaffRole.ADMIN})
ESCALATIONS = frozenset({StaffRole.SUPPORT, StaffRole.ADMIN})
BILLING = frozenset({StaffRole.BILLING, StaffRole.ADMIN})
EVERYONE = frozenset(StaffRole)
PUBLIC = "no sign-in needed"

EXPECTED: dict[str, frozenset[StaffRole] | str] = {
    # Signing in and out, the landing page and one's own second factor.
    "staff.login": PUBLIC,
    "staff.login_code": PUBLIC,
    "staff.logout": EVERYONE,
    "staff.index": EVERYONE,
    "staff.security": EVERYONE,
    "staff.security_totp_start": EVERYONE,
    "staff.security_totp_confirm": EVERYONE,
    "staff.security_totp_disable": EVERYONE,
    "staff.security_recovery_codes": EVERYONE,
    # The escalation screen and triage.
    "staff.escalations": ESCALATIONS,
    "staff.escalation_ticket": ESCALATIONS,
    "staff.escalation_attachment": ESCALATIONS,
    "staff.escalation_claim": ESCALATIONS,
    "staff.escalation_assign": ESCALATIONS,
    "staff.escalation_reply": ESCALATIONS,
    "staff.escalation_note": ESCALATIONS,
    "staff.escalation_resolve": ESCALATIONS,
    "staff.escalation_hand_back": ESCALATIONS,
    "staff.escalation_shop": ESCALATIONS,
    "staff.escalation_triage": ESCALATIONS,
    "staff.escalation_triage_email": ESCALATIONS,
    "staff.escalation_triage_open": ESCALATIONS,
    "staff.escalation_triage_dismiss": ESCALATIONS,
    # Orders: provisioning and bank transfers.
    "staff.provisioning": BILLING,
    "staff.activate_service": BILLING,
    "staff.payments": BILLING,
    "staff.confirm_bank_transfer": BILLING,
    "staff.mark_refund_made": BILLING,
    # The admin desk.
    "staff.shops": ADMIN,
    "staff.shop_new": ADMIN,
    "staff.shop_edit": ADMIN,
    "staff.shop_invite_owner": ADMIN,
    "staff.plans": ADMIN,
    "staff.plan_new": ADMIN,
    "staff.plan_edit": ADMIN,
    "staff.plan_retire": ADMIN,
    "staff.plan_reinstate": ADMIN,
    "staff.staff_accounts": ADMIN,
    "staff.add_staff": ADMIN,
    "staff.change_staff_role": ADMIN,
    "staff.deactivate_staff": ADMIN,
    "staff.activate_staff": ADMIN,
    "staff.reset_staff_second_factor": ADMIN,
    "staff.audit_log": ADMIN,
    "staff.audit_download": ADMIN,
    "staff.disclosures": ADMIN,
    "staff.new_disclosure": ADMIN,
    "staff.breaches": ADMIN,
    "staff.new_breach": ADMIN,
    "staff.breach": ADMIN,
    "staff.breach_notice_preview": ADMIN,
    "staff.notify_commissioner": ADMIN,
    "staff.send_breach_notices": ADMIN,
}


def staff_rules(app) -> list:
    """Every route of the staff blueprint, signing out last."""
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("staff.")]
    return sorted(rules, key=lambda rule: (rule.endpoint == "staff.logout", rule.rule))


def _path(rule, ids: dict[str, int]) -> str:
    """The rule's path with each id filled in (1 for ids this test has no row for)."""
    return re.sub(r"<(?:[^<>]*:)?([a-z_]+)>", lambda m: str(ids.get(m.group(1), 1)), rule.rule)


def _methods(rule) -> list[str]:
    return [method for method in ("GET", "POST") if method in rule.methods]


@pytest.fixture
def ids(app, demo, make_staff) -> dict[str, int]:
    """Real rows for the ids staff routes take: an escalated ticket, a shop, a colleague, an invoice."""
    with app.app_context():
        invoice_id = db.session.scalar(select(Invoice.id).limit(1)) or 1
        service_id = db.session.scalar(select(Service.id).limit(1)) or 1
    return {
        "ticket_id": open_for(app, "acme", "Role sweep", escalated=True),
        "reseller_id": shop_id(app, "bluewave"),
        "shop_id": shop_id(app, "kedai"),
        "staff_id": make_staff(email="colleague@platform.test", role=StaffRole.SUPPORT),
        "invoice_id": invoice_id,
        "service_id": service_id,
    }


def test_every_staff_route_has_an_expectation(app) -> None:
    endpoints = {rule.endpoint for rule in staff_rules(app)}
    assert endpoints - set(EXPECTED) == set(), "say which roles may use these new staff routes"
    assert set(EXPECTED) - endpoints == set(), "these staff routes no longer exist"


@pytest.mark.parametrize("role", list(StaffRole), ids=lambda role: role.value)
def test_each_role_reaches_exactly_its_own_desk(app, client_for, make_staff, ids, role: StaffRole) -> None:
    email = f"{role.value}@platform.test"
    client = staff_client(client_for, make_staff, role=role, email=email)
    token = csrf_token(client.get("/staff/login").text)
    checked = 0
    for rule in staff_rules(app):
        allowed = EXPECTED[rule.endpoint]
        for method in _methods(rule):
            if allowed == PUBLIC and method == "POST":
                continue  # signing in again is not a matter of role
            data = {"csrf_token": token} if method == "POST" else None
            status = client.open(_path(rule, ids), method=method, data=data).status_code
            where = (rule.endpoint, method, role.value, status)
            if allowed == PUBLIC or role in allowed:
                assert status not in (403, 500), where
            else:
                assert status == 403, where
            checked += 1
    assert checked >= len(EXPECTED)


def test_signed_out_visitors_are_sent_to_sign_in_everywhere(app, client_for) -> None:
    client = client_for(STAFF)
    token = csrf_token(client.get("/staff/login").text)
    for rule in staff_rules(app):
        if EXPECTED[rule.endpoint] == PUBLIC:
            continue
        for method in _methods(rule):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(_path(rule, {}), method=method, data=data)
            assert response.status_code == 302, (rule.endpoint, method, response.status_code)
            assert response.headers["Location"].startswith("/staff/login"), rule.endpoint


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (StaffRole.ADMIN, ["Escalation queue", "Work waiting"], []),
        (StaffRole.SUPPORT, ["Escalation queue"], ["Work waiting"]),
        (StaffRole.BILLING, ["Work waiting"], ["Escalation queue"]),
    ],
)
def test_the_desk_shows_each_role_its_work(client_for, make_staff, role, shown, hidden) -> None:
    client = staff_client(client_for, make_staff, role=role)
    desk = client.get("/staff/")
    assert desk.status_code == 200
    for heading in shown:
        assert f">{heading}</h2>" in desk.text, (role, heading)
    for heading in hidden:
        assert heading not in desk.text, (role, heading)


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (StaffRole.ADMIN, ["Escalations", "Provisioning", "Shops", "Plans", "Staff", "Audit log"], []),
        (StaffRole.SUPPORT, ["Escalations", "Triage"], ["Provisioning", "Shops", "Plans", "Audit log"]),
        (StaffRole.BILLING, ["Provisioning", "Payments"], ["Triage", "Shops", "Plans", "Audit log"]),
    ],
)
def test_the_menu_offers_only_what_the_role_may_open(client_for, make_staff, role, shown, hidden) -> None:
    client = staff_client(client_for, make_staff, role=role)
    page = client.get("/staff/", follow_redirects=True).text
    nav = re.search(r'<nav aria-label="Staff".*?</nav>', page, re.S).group(0)
    links = re.findall(r">([^<>]+)</a>", nav)
    for label in shown:
        assert label in links, (role, label)
    for label in hidden:
        assert label not in links, (role, label)
