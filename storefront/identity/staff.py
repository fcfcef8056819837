"""Staff accounts, their roles, and the platform-wide views of shops and wholesale plans.

A change to a staff account is written to the audit log in the same transaction. Nobody
changes their own role or active state, and the platform always keeps an active admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import db
from ..models import Domain, Offer, Plan, Reseller, StaffRole, StaffUser
from ..models.account import verified
from . import second_factor


class StaffExists(ValueError):
    """A staff account with that email already exists."""


class StaffChangeRefused(ValueError):
    """A change to a staff account that is never allowed, such as demoting yourself."""


class LastAdmin(StaffChangeRefused):
    """The change would leave the platform without an active admin."""


def authenticate_staff(email: str, password: str) -> StaffUser | None:
    """Return the active staff user with these credentials, else None."""
    staff = verified(
        db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower())), password
    )
    return staff if staff is not None and staff.active else None


def add_staff(email: str, name: str, password: str, role: StaffRole) -> StaffUser:
    """Add a platform staff account to the session (flushed, not committed)."""
    email = email.strip().lower()
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)):
        raise StaffExists(email)
    staff = StaffUser(email=email, name=name, role=role)
    staff.set_password(password)
    db.session.add(staff)
    try:
        db.session.flush()
    except IntegrityError:  # the same email added by someone else at the same moment
        db.session.rollback()
        raise StaffExists(email) from None
    return staff


def create_staff(email: str, name: str, password: str, role: StaffRole) -> StaffUser:
    """Create a platform staff account."""
    staff = add_staff(email, name, password, role)
    db.session.commit()
    return staff


def create_staff_by(actor: StaffUser, email: str, name: str, password: str, role: StaffRole) -> StaffUser:
    """Create a staff account on an admin's behalf, audited."""
    staff = add_staff(email, name, password, role)
    _audit(actor, staff, "create", f"{role.value} account")
    db.session.commit()
    return staff


def staff_accounts() -> list[StaffUser]:
    """Return every staff account, active ones first, by name."""
    query = select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name, StaffUser.id)
    return list(db.session.scalars(query))


def find_staff(staff_id: int) -> StaffUser | None:
    """Return the staff account with this id, if any."""
    return db.session.get(StaffUser, staff_id)


def _audit(actor: StaffUser, target: StaffUser, action: str, reason: str) -> None:
    audit.record(f"staff:{actor.id}", actor.role.value, None, f"staff_user:{target.id}", action, reason)


def _locked_admin_ids() -> set[int]:
    """Return the active admins' ids, locking their rows so two admins cannot demote each other at once."""
    query = select(StaffUser.id).where(StaffUser.role == StaffRole.ADMIN, StaffUser.active.is_(True))
    return set(db.session.scalars(query.with_for_update()))


def _keep_an_admin(target: StaffUser) -> None:
    if target.role == StaffRole.ADMIN and target.active and _locked_admin_ids() <= {target.id}:
        raise LastAdmin(f"{target.name} is the only active admin. Make someone else an admin first.")


def _not_yourself(actor: StaffUser, target: StaffUser, what: str) -> None:
    if actor.id == target.id:
        raise StaffChangeRefused(f"You cannot {what} yourself. Another admin can do it.")


def change_staff_role(actor: StaffUser, target: StaffUser, role: StaffRole) -> bool:
    """Give a staff account another role; return False when it already had it."""
    if target.role == role:
        return False
    if role != StaffRole.ADMIN:
        _keep_an_admin(target)
    _not_yourself(actor, target, "change the role of")
    change = f"{target.role.value} to {role.value}"
    target.role = role
    _audit(actor, target, "role", change)
    db.session.commit()
    return True


def deactivate_staff(actor: StaffUser, target: StaffUser) -> bool:
    """Stop an account from signing in and end all its sessions; return False when already inactive."""
    if not target.active:
        return False
    _keep_an_admin(target)
    _not_yourself(actor, target, "deactivate")
    target.active = False
    target.end_sessions()
    _audit(actor, target, "deactivate", "sessions ended")
    db.session.commit()
    return True


def activate_staff(actor: StaffUser, target: StaffUser) -> bool:
    """Let an inactive account sign in again; return False when already active."""
    if target.active:
        return False
    target.active = True
    _audit(actor, target, "activate", "")
    db.session.commit()
    return True


def reset_second_factor(actor: StaffUser, target: StaffUser) -> None:
    """Take the second factor off a colleague who lost it, and end their sessions, audited.

    Raises StaffChangeRefused for one's own account and second_factor.NoSecondFactor when it is off.
    """
    if actor.id == target.id:
        raise StaffChangeRefused(second_factor.OWN_RESET_REFUSED)
    second_factor.reset(target)
    _audit(actor, target, "second_factor_reset", "key and recovery codes removed, sessions ended")
    db.session.commit()


def wholesale_plans() -> list[Plan]:
    """Return every plan with its wholesale prices, by name, in two queries."""
    query = select(Plan).options(selectinload(Plan.prices)).order_by(Plan.active.desc(), Plan.name)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class ShopSummary:
    """One shop as the staff overview lists it."""

    reseller: Reseller
    hosts: list[str]
    offer_count: int


def shop_overview() -> list[ShopSummary]:
    """Return every shop with its verified hosts and number of offers, in two queries."""
    offers = select(Offer.reseller_id, func.count().label("n")).group_by(Offer.reseller_id).subquery()
    rows = db.session.execute(
        select(Reseller, func.coalesce(offers.c.n, 0))
        .outerjoin(offers, offers.c.reseller_id == Reseller.id)
        .order_by(Reseller.brand_name)
    ).all()
    domains = db.session.scalars(select(Domain).where(Domain.verified_at.is_not(None))).all()
    hosts: dict[int, list[str]] = {}
    for domain in domains:
        hosts.setdefault(domain.reseller_id, []).append(domain.hostname)
    return [ShopSummary(r, hosts.get(r.id, []), n) for r, n in rows]


def end_staff_sessions(staff: StaffUser) -> None:
    """End every session of a staff account."""
    staff.end_sessions()
    db.session.commit()
