"""Reading the breach register: counts of shops, customers and notices, never a list of customers.

A customer anonymised before their notice went out has no name or address left to tell; they are
counted apart ("anonymised before notice") so that what is waiting can reach zero. Each read is a
fixed number of queries however many customers a breach reached.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, ScalarSelect, and_, case, func, select
from sqlalchemy.orm import InstrumentedAttribute

from ..extensions import db
from ..models import Breach, BreachCustomer, BreachShop, Customer, Reseller
from ..paging import PageCount

PAGE_SIZE = 25


@dataclass(frozen=True)
class BreachRow:
    """One breach as the register lists it."""

    breach: Breach
    shops: int
    customers: int
    notified: int
    anonymised: int  # anonymised before their notice went out: they can never be told

    @property
    def pending(self) -> int:
        return self.customers - self.notified - self.anonymised


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


def _never_told() -> ColumnElement[bool]:
    """True for an affected customer who was anonymised before their notice went out."""
    return and_(BreachCustomer.notified_at.is_(None), Customer.anonymised_at.is_not(None))


def _anonymised_per_breach() -> ScalarSelect:
    """Count the outer query's breach's customers anonymised before notice (a correlated subquery)."""
    return (
        select(func.count(BreachCustomer.customer_id))
        .join(Customer, Customer.id == BreachCustomer.customer_id)
        .where(BreachCustomer.breach_id == Breach.id, _never_told())
        .correlate(Breach)
        .scalar_subquery()
    )


def breach_page(page: int) -> BreachPage:
    """Return a page of the register with each breach's counts, in two queries."""
    total = db.session.scalar(select(func.count(Breach.id)))
    shops = _per_breach(BreachShop.reseller_id, BreachShop.breach_id)
    customers = _per_breach(BreachCustomer.customer_id, BreachCustomer.breach_id)
    notified = _per_breach(BreachCustomer.notified_at, BreachCustomer.breach_id)
    found = db.session.execute(
        select(Breach, shops, customers, notified, _anonymised_per_breach())
        .order_by(Breach.discovered_at.desc(), Breach.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    rows = [BreachRow(b, s or 0, c or 0, n or 0, a or 0) for b, s, c, n, a in found]
    return BreachPage(rows, total or 0, page)


@dataclass(frozen=True)
class ShopImpact:
    """One affected shop: how many of its customers were reached, how many have been told, and how
    many were anonymised before they could be."""

    shop_id: int
    brand_name: str
    support_email: str
    customers: int
    notified: int
    anonymised: int

    @property
    def pending(self) -> int:
        return self.customers - self.notified - self.anonymised


def shop_impacts(breach_id: int) -> list[ShopImpact]:
    """Return each affected shop with its customer and notice counts, by name, in one query."""
    rows = db.session.execute(
        select(
            Reseller.id,
            Reseller.brand_name,
            Reseller.support_email,
            func.count(BreachCustomer.customer_id),
            func.count(BreachCustomer.notified_at),
            func.count(case((_never_told(), BreachCustomer.customer_id))),
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
        .outerjoin(Customer, Customer.id == BreachCustomer.customer_id)
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
