"""Reading the breach register: counts of shops, customers and notices, never a list of customers.

Each read is a fixed number of queries however many customers a breach reached.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ScalarSelect, and_, func, select
from sqlalchemy.orm import InstrumentedAttribute

from ..extensions import db
from ..models import Breach, BreachCustomer, BreachShop, Reseller
from .paging import PageCount

PAGE_SIZE = 25


@dataclass(frozen=True)
class BreachRow:
    """One breach as the register lists it."""

    breach: Breach
    shops: int
    customers: int
    notified: int

    @property
    def pending(self) -> int:
        return self.customers - self.notified


@dataclass(frozen=True)
class BreachPage(PageCount):
    """A page of breaches, the latest discovered first."""

    per_page = PAGE_SIZE

    rows: list[BreachRow]
    total: int
    page: int


def _per_breach(column: InstrumentedAttribute, breach_column: InstrumentedAttribute) -> ScalarSelect:
    """Count ``column`` for the outer query's breach (a correlated subquery)."""
    return select(func.count(column)).where(breach_column == Breach.id).correlate(Breach).scalar_subquery()


def breach_page(page: int) -> BreachPage:
    """Return a page of the register with each breach's counts, in two queries."""
    total = db.session.scalar(select(func.count(Breach.id)))
    shops = _per_breach(BreachShop.reseller_id, BreachShop.breach_id)
    customers = _per_breach(BreachCustomer.customer_id, BreachCustomer.breach_id)
    notified = _per_breach(BreachCustomer.notified_at, BreachCustomer.breach_id)
    found = db.session.execute(
        select(Breach, shops, customers, notified)
        .order_by(Breach.discovered_at.desc(), Breach.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return BreachPage([BreachRow(b, s or 0, c or 0, n or 0) for b, s, c, n in found], total or 0, page)


@dataclass(frozen=True)
class ShopImpact:
    """One affected shop: how many of its customers were reached, and how many have been told."""

    shop_id: int
    brand_name: str
    support_email: str
    customers: int
    notified: int

    @property
    def pending(self) -> int:
        return self.customers - self.notified


def shop_impacts(breach_id: int) -> list[ShopImpact]:
    """Return each affected shop with its customer and notice counts, by name, in one query."""
    rows = db.session.execute(
        select(
            Reseller.id,
            Reseller.brand_name,
            Reseller.support_email,
            func.count(BreachCustomer.customer_id),
            func.count(BreachCustomer.notified_at),
        )
        .select_from(BreachShop)
        .join(Reseller, Reseller.id == BreachShop.reseller_id)
        .outerjoin(
            BreachCustomer,
            and_(
                BreachCustomer.breach_id == BreachShop.breach_id,
                BreachCustomer.reseller_id == BreachShop.reseller_id,
            ),
        )
        .where(BreachShop.breach_id == breach_id)
        .group_by(Reseller.id, Reseller.brand_name, Reseller.support_email)
        .order_by(Reseller.brand_name)
    )
    return [ShopImpact(*row) for row in rows]


def affected_shop(breach_id: int, shop_id: int) -> Reseller | None:
    """Return the shop if the breach reached it."""
    return db.session.scalar(
        select(Reseller)
        .join(BreachShop, BreachShop.reseller_id == Reseller.id)
        .where(BreachShop.breach_id == breach_id, Reseller.id == shop_id)
    )
