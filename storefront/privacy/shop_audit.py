"""The owner's view of the audit log: the entries about a shop's own customers.

The shop's team appear by name; the platform's staff only as the shop's escalation persona,
and without their reasons, which may name staff. Customers and records appear by the shop's own
numbers. A page costs four queries however many entries the shop has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select

from .. import whole_numbers
from ..extensions import db
from ..models import AuditEntry, Customer, TeamMember
from ..paging import PageCount
from .audit_search import ACTION, PAGE_SIZE, actor_ids, checked, whole_number
from .shop_numbers import shop_numbers, shop_reference


def parse_owner_filters(args: Mapping[str, str]) -> tuple[int | None, str]:
    """Read the owner's view filters (customer number and action); raise FilterError on a bad value."""
    customer = whole_number((args.get("customer") or "").strip(), "customer number")
    action = (args.get("action") or "").strip().lower()
    return customer, checked(action, ACTION, "An action is a word such as view, reply or list.")


@dataclass(frozen=True)
class ShopAuditRow:
    """An entry about one of a shop's customers, as the shop's owner sees it."""

    entry: AuditEntry
    who: str
    by_platform: bool
    record: str  # as the shop reads it: "ticket 3"
    customer_number: int | None

    @property
    def reason(self) -> str:
        """The reason, except for platform staff's entries: theirs may name staff."""
        return "" if self.by_platform else self.entry.reason


@dataclass(frozen=True)
class ShopAuditPage(PageCount):
    """A page of the entries about a shop's customers, newest first."""

    per_page = PAGE_SIZE

    rows: list[ShopAuditRow]
    total: int
    page: int
    customer: int | None
    action: str


def _about_shop_customers(reseller_id: int, customer: int | None, action: str) -> list[ColumnElement[bool]]:
    conditions = [AuditEntry.reseller_id == reseller_id, AuditEntry.customer_id.is_not(None)]
    if customer is not None:
        numbered = select(Customer.id).where(Customer.reseller_id == reseller_id, Customer.number == customer)
        conditions.append(AuditEntry.customer_id == numbered.scalar_subquery())
    if action:
        conditions.append(AuditEntry.action == action)
    return conditions


def _shop_who(entry: AuditEntry, team: dict[int, str], persona: str) -> tuple[str, bool]:
    """Name the actor the way the shop may see it: staff only as the shop's escalation persona."""
    kind, _, raw_id = entry.actor.partition(":")
    if kind == "staff":
        return f"{persona} (platform staff)", True
    if kind == "team":
        number = whole_numbers.whole_number(raw_id)
        return team.get(number, "Former team member") if number is not None else "Team member", False
    if kind == "customer":
        return ("The customer" if raw_id == str(entry.customer_id) else "Another customer"), False
    return "Automatic", False


def shop_audit_page(
    reseller_id: int, persona: str, customer: int | None, action: str, page: int
) -> ShopAuditPage:
    """Return a page of the entries about the shop's customers, in four queries."""
    conditions = _about_shop_customers(reseller_id, customer, action)
    total = db.session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    entries = list(
        db.session.scalars(
            select(AuditEntry)
            .where(*conditions)
            .order_by(AuditEntry.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    members = select(TeamMember.id, TeamMember.name).where(
        TeamMember.reseller_id == reseller_id, TeamMember.id.in_(actor_ids(entries, "team"))
    )
    team = {member_id: name for member_id, name in db.session.execute(members)}
    customers = [f"customer:{entry.customer_id}" for entry in entries]
    numbers = shop_numbers(reseller_id, [*customers, *(entry.record for entry in entries)])
    rows = [
        ShopAuditRow(
            entry,
            *_shop_who(entry, team, persona),
            shop_reference(entry.record, numbers),
            numbers.get(customer),
        )
        for entry, customer in zip(entries, customers, strict=True)
    ]
    return ShopAuditPage(rows, total, page, customer, action)
