"""Staff accounts and the platform-wide view of shops."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import Domain, Offer, Reseller, StaffRole, StaffUser
from ..models.account import verified


class StaffExists(ValueError):
    """A staff account with that email already exists."""


def authenticate_staff(email: str, password: str) -> StaffUser | None:
    """Return the active staff user with these credentials, else None."""
    staff = verified(
        db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower())), password
    )
    return staff if staff is not None and staff.active else None


def create_staff(email: str, name: str, password: str, role: StaffRole) -> StaffUser:
    """Create a platform staff account."""
    email = email.strip().lower()
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)):
        raise StaffExists(email)
    staff = StaffUser(email=email, name=name, role=role)
    staff.set_password(password)
    db.session.add(staff)
    db.session.commit()
    return staff


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
