"""An admin resets the second factor of a colleague who lost both their phone and their recovery codes."""

from __future__ import annotations

from storefront.models import StaffRole, StaffUser
from tests.second_factor_steps import account, enrol, unused_recovery_codes
from tests.shop.helpers import csrf_from
from tests.staff.escalation_helpers import audit_entries, staff_client, staff_id
from tests.staff.test_login import sign_in

STAFF = "staff.localhost"
ADMIN = "boss@platform.test"
MEMBER = "ops@platform.test"
PASSWORD = "correct horse battery"
OWN_PAGE = "Use your own security page"


def _member_enrolled(app, client_for, make_staff):
    """A support member with TOTP on, still signed in; return their client."""
    make_staff(email=MEMBER, role=StaffRole.SUPPORT)
    member = client_for(STAFF)
    sign_in(member, MEMBER, PASSWORD)
    enrol(app, member, StaffUser, MEMBER, "/staff")
    return member


def _reset(client, target: int, *, token: bool = True):
    data = {"csrf_token": csrf_from(client.get("/staff/security").text)} if token else {}
    return client.post(f"/staff/staff/{target}/second-factor/reset", data=data)


def _signed_in(client) -> bool:
    return client.get("/staff/security").status_code == 200


def test_an_admin_resets_a_colleagues_second_factor(app, client_for, make_staff) -> None:
    member = _member_enrolled(app, client_for, make_staff)
    target = staff_id(app, MEMBER)
    admin = staff_client(client_for, make_staff, role=StaffRole.ADMIN, email=ADMIN)
    listed = admin.get("/staff/staff").text
    assert f"/staff/staff/{target}/second-factor/reset" in listed and "Reset" in listed

    done = _reset(admin, target)
    assert done.status_code == 303 and done.location == "/staff/staff"
    page = admin.get(done.location).text
    assert "The second factor of Ops Person is reset and they are signed out." in page
    assert f"/staff/staff/{target}/second-factor/reset" not in page  # nothing left to reset

    found = account(app, StaffUser, MEMBER)
    assert not found.has_second_factor and found.totp_secret is None and found.totp_last_step is None
    assert unused_recovery_codes(app, f"staff:{target}") == 0
    assert not _signed_in(member)  # the old session ended
    again = client_for(STAFF)
    assert sign_in(again, MEMBER, PASSWORD).location == "/staff/"  # the password alone, no code step
    assert _signed_in(again)
    admin_id = staff_id(app, ADMIN)
    assert audit_entries(app, f"staff_user:{target}")[-1] == (
        f"staff:{admin_id}",
        "admin",
        "second_factor_reset",
        "key and recovery codes removed, sessions ended",
        None,
    )


def test_when_required_the_member_sets_up_a_new_factor_at_next_sign_in(app, client_for, make_staff) -> None:
    _member_enrolled(app, client_for, make_staff)
    admin = staff_client(client_for, make_staff, role=StaffRole.ADMIN, email=ADMIN)
    assert _reset(admin, staff_id(app, MEMBER)).status_code == 303
    app.config["REQUIRE_SECOND_FACTOR"] = True
    again = client_for(STAFF)
    sign_in(again, MEMBER, PASSWORD)
    asked = again.get("/staff/escalations")
    assert asked.status_code == 303 and asked.location == "/staff/security"
    assert "Set up a second factor to continue" in again.get("/staff/security").text


def test_an_admin_cannot_reset_their_own_second_factor_here(app, client_for, make_staff) -> None:
    admin = staff_client(client_for, make_staff, role=StaffRole.ADMIN, email=ADMIN)
    enrol(app, admin, StaffUser, ADMIN, "/staff")
    me = staff_id(app, ADMIN)
    assert f"/staff/staff/{me}/second-factor/reset" not in admin.get("/staff/staff").text
    refused = _reset(admin, me)
    assert refused.status_code == 400 and OWN_PAGE in refused.text
    assert account(app, StaffUser, ADMIN).has_second_factor and _signed_in(admin)
    assert unused_recovery_codes(app, f"staff:{me}") == 10


def test_only_an_admin_may_reset(app, client_for, make_staff) -> None:
    member = _member_enrolled(app, client_for, make_staff)
    target = staff_id(app, MEMBER)
    for role in (StaffRole.SUPPORT, StaffRole.BILLING):
        other = staff_client(client_for, make_staff, role=role, email=f"{role.value}@platform.test")
        assert _reset(other, target).status_code == 403
    assert account(app, StaffUser, MEMBER).has_second_factor and _signed_in(member)
    assert unused_recovery_codes(app, f"staff:{target}") == 10


def test_a_member_without_a_second_factor_has_nothing_to_reset(app, client_for, make_staff) -> None:
    make_staff(email=MEMBER)
    admin = staff_client(client_for, make_staff, role=StaffRole.ADMIN, email=ADMIN)
    refused = _reset(admin, staff_id(app, MEMBER))
    assert refused.status_code == 409
    assert "Ops Person has no second factor on, so there is nothing to reset." in refused.text
    assert audit_entries(app, f"staff_user:{staff_id(app, MEMBER)}") == []


def test_a_reset_without_its_form_token_changes_nothing(app, client_for, make_staff) -> None:
    member = _member_enrolled(app, client_for, make_staff)
    target = staff_id(app, MEMBER)
    admin = staff_client(client_for, make_staff, role=StaffRole.ADMIN, email=ADMIN)
    assert _reset(admin, target, token=False).status_code == 400
    assert account(app, StaffUser, MEMBER).has_second_factor and _signed_in(member)


def test_an_unknown_staff_account_is_not_found(client_for, make_staff) -> None:
    admin = staff_client(client_for, make_staff, role=StaffRole.ADMIN, email=ADMIN)
    assert _reset(admin, 999999).status_code == 404
