"""The admin desk: wholesale plans, staff accounts, their roles and who may sign in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.identity.staff import LastAdmin, change_staff_role, deactivate_staff
from storefront.models import StaffRole, StaffUser, utcnow
from tests.staff.escalation_helpers import PASSWORD, STAFF, audit_entries, staff_client, staff_id
from tests.staff.test_login import csrf_token, sign_in

ADMIN_EMAIL = "boss@platform.test"


@pytest.fixture
def admin(client_for, make_staff):
    """A client signed in as an admin."""
    return staff_client(client_for, make_staff, role=StaffRole.ADMIN, email=ADMIN_EMAIL)


def post(client, path: str, data: dict | None = None):
    token = csrf_token(client.get("/staff/staff").text)
    return client.post(path, data={**(data or {}), "csrf_token": token})


def account(app, email: str) -> StaffUser | None:
    with app.app_context():
        found = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        if found is not None:
            db.session.expunge(found)
        return found


def test_plans_list_wholesale_prices_per_cycle(admin, make_plan) -> None:
    make_plan("business", name="Business Hosting", monthly=2500, annually=25000)
    make_plan("legacy", name="Legacy Plan", monthly=900, annually=None, active=False)
    page = admin.get("/staff/plans")
    assert page.status_code == 200
    for text in ("Business Hosting", "RM 25.00/mo", "RM 250.00/yr", "Legacy Plan", "retired", "not sold"):
        assert text in page.text


def test_staff_page_shows_roles_status_and_second_factor(app, admin, make_staff) -> None:
    make_staff(email="billing@platform.test", role=StaffRole.BILLING)
    make_staff(email="gone@platform.test", active=False)
    with app.app_context():
        boss = db.session.scalar(select(StaffUser).where(StaffUser.email == ADMIN_EMAIL))
        boss.totp_enabled_at = utcnow()
        db.session.commit()
    page = admin.get("/staff/staff").text
    for text in ("billing@platform.test", "gone@platform.test", "deactivated", ">on<", ">off<", ">you<"):
        assert text in page


def test_add_a_staff_account_who_can_then_sign_in(app, admin, client_for) -> None:
    data = {
        "name": "New Biller",
        "email": "New.Biller@Platform.test",
        "role": "billing",
        "password": "a" * 12,
    }
    response = post(admin, "/staff/staff", data)
    assert response.status_code == 303
    assert "New Biller can now sign in as billing." in admin.get("/staff/staff").text
    added = account(app, "new.biller@platform.test")
    assert added.role == StaffRole.BILLING and added.active
    newcomer = client_for(STAFF)
    sign_in(newcomer, "new.biller@platform.test", "a" * 12)
    desk = newcomer.get("/staff/").text
    assert "Services to set up" in desk and 'href="/staff/provisioning">Provisioning</a>' in desk
    actor = f"staff:{staff_id(app, ADMIN_EMAIL)}"
    assert audit_entries(app, f"staff_user:{added.id}") == [
        (actor, "admin", "create", "billing account", None)
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"name": "Shorty", "email": "s@platform.test", "role": "support", "password": "short"},
            "Use 12 to 200",
        ),
        (
            {"name": "", "email": "s@platform.test", "role": "support", "password": "a" * 12},
            "enter their name",
        ),
        (
            {"name": "Bad Mail", "email": "not-an-email", "role": "support", "password": "a" * 12},
            "valid email",
        ),
        ({"name": "Root", "email": "s@platform.test", "role": "root", "password": "a" * 12}, "choose a role"),
    ],
)
def test_bad_new_accounts_are_refused_with_a_message(app, admin, data: dict, message: str) -> None:
    response = post(admin, "/staff/staff", data)
    assert response.status_code == 400
    assert message in response.text
    assert account(app, "s@platform.test") is None


def test_a_used_email_is_refused(app, admin, make_staff) -> None:
    make_staff(email="taken@platform.test")
    data = {"name": "Again", "email": "TAKEN@platform.test", "role": "admin", "password": "b" * 12}
    response = post(admin, "/staff/staff", data)
    assert response.status_code == 400
    assert "A staff account for taken@platform.test already exists." in response.text
    assert account(app, "taken@platform.test").role == StaffRole.SUPPORT


def test_changing_a_role_changes_what_they_may_open(app, admin, client_for, make_staff) -> None:
    target = make_staff(email="ops@platform.test", role=StaffRole.SUPPORT)
    colleague = client_for(STAFF)
    sign_in(colleague, "ops@platform.test", PASSWORD)
    assert colleague.get("/staff/escalations").status_code == 200
    response = post(admin, f"/staff/staff/{target}/role", {"role": "billing"})
    assert response.status_code == 303
    assert "Ops Person is now billing." in admin.get("/staff/staff").text
    assert colleague.get("/staff/escalations").status_code == 403
    assert colleague.get("/staff/provisioning").status_code == 200
    actor = f"staff:{staff_id(app, ADMIN_EMAIL)}"
    assert audit_entries(app, f"staff_user:{target}") == [
        (actor, "admin", "role", "support to billing", None)
    ]


def test_an_unknown_role_or_account_is_refused(app, admin, make_staff) -> None:
    target = make_staff()
    assert post(admin, f"/staff/staff/{target}/role", {"role": "owner"}).status_code == 400
    assert account(app, "ops@platform.test").role == StaffRole.SUPPORT
    assert post(admin, "/staff/staff/999999/role", {"role": "admin"}).status_code == 404
    assert post(admin, "/staff/staff/999999/deactivate").status_code == 404
    assert post(admin, "/staff/staff/999999/activate").status_code == 404


def test_the_only_admin_cannot_demote_or_deactivate_themselves(app, admin) -> None:
    me = staff_id(app, ADMIN_EMAIL)
    response = post(admin, f"/staff/staff/{me}/role", {"role": "support"})
    assert response.status_code == 409
    assert "is the only active admin. Make someone else an admin first." in response.text
    assert post(admin, f"/staff/staff/{me}/deactivate").status_code == 409
    assert account(app, ADMIN_EMAIL).role == StaffRole.ADMIN and account(app, ADMIN_EMAIL).active
    assert audit_entries(app, f"staff_user:{me}") == []


def test_nobody_demotes_or_deactivates_themselves(app, admin, make_staff) -> None:
    make_staff(email="second-admin@platform.test", role=StaffRole.ADMIN)
    me = staff_id(app, ADMIN_EMAIL)
    response = post(admin, f"/staff/staff/{me}/role", {"role": "billing"})
    assert response.status_code == 400
    assert "You cannot change the role of yourself. Another admin can do it." in response.text
    response = post(admin, f"/staff/staff/{me}/deactivate")
    assert response.status_code == 400 and "You cannot deactivate yourself." in response.text
    assert account(app, ADMIN_EMAIL).role == StaffRole.ADMIN and account(app, ADMIN_EMAIL).active


def test_the_last_active_admin_stays_one_whoever_asks(app, make_staff) -> None:
    only_admin = make_staff(email="only@platform.test", role=StaffRole.ADMIN)
    make_staff(email="retired@platform.test", role=StaffRole.ADMIN, active=False)
    other = make_staff(email="someone@platform.test", role=StaffRole.SUPPORT)
    with app.app_context():
        target, actor = db.session.get(StaffUser, only_admin), db.session.get(StaffUser, other)
        with pytest.raises(LastAdmin):
            change_staff_role(actor, target, StaffRole.SUPPORT)
        db.session.rollback()
        with pytest.raises(LastAdmin):
            deactivate_staff(actor, target)
        db.session.rollback()
    assert account(app, "only@platform.test").role == StaffRole.ADMIN


def test_deactivation_ends_their_sessions_and_sign_in(app, admin, client_for, make_staff) -> None:
    target = make_staff(email="leaver@platform.test", role=StaffRole.SUPPORT)
    leaver = client_for(STAFF)
    sign_in(leaver, "leaver@platform.test", PASSWORD)
    assert leaver.get("/staff/escalations").status_code == 200
    response = post(admin, f"/staff/staff/{target}/deactivate")
    assert response.status_code == 303
    assert "Ops Person is deactivated and signed out." in admin.get("/staff/staff").text
    assert leaver.get("/staff/escalations").headers["Location"].startswith("/staff/login")
    refused = sign_in(client_for(STAFF), "leaver@platform.test", PASSWORD)
    assert "do not match an active staff account" in refused.text
    actor = f"staff:{staff_id(app, ADMIN_EMAIL)}"
    assert audit_entries(app, f"staff_user:{target}") == [
        (actor, "admin", "deactivate", "sessions ended", None)
    ]


def test_activation_lets_them_sign_in_again_but_old_sessions_stay_ended(
    app, admin, client_for, make_staff
) -> None:
    target = make_staff(email="back@platform.test", role=StaffRole.SUPPORT)
    old = client_for(STAFF)
    sign_in(old, "back@platform.test", PASSWORD)
    post(admin, f"/staff/staff/{target}/deactivate")
    assert post(admin, f"/staff/staff/{target}/activate").status_code == 303
    assert "Ops Person can sign in again." in admin.get("/staff/staff").text
    assert old.get("/staff/escalations").status_code == 302
    fresh = client_for(STAFF)
    sign_in(fresh, "back@platform.test", PASSWORD)
    assert fresh.get("/staff/escalations").status_code == 200
    actions = [entry[2] for entry in audit_entries(app, f"staff_user:{target}")]
    assert actions == ["deactivate", "activate"]


def test_changes_without_a_csrf_token_change_nothing(app, admin, make_staff) -> None:
    target = make_staff()
    assert admin.post(f"/staff/staff/{target}/deactivate").status_code == 400
    assert admin.post(f"/staff/staff/{target}/role", data={"role": "admin"}).status_code == 400
    assert account(app, "ops@platform.test").active and account(app, "ops@platform.test").role == "support"


def test_names_are_shown_as_text(app, admin) -> None:
    data = {
        "name": "<script>x</script>",
        "email": "xss@platform.test",
        "role": "support",
        "password": "c" * 12,
    }
    post(admin, "/staff/staff", data)
    page = admin.get("/staff/staff").text
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
