"""A customer's access log: who at the shop, or behind it, saw or changed their data, in plain words."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, or_, select

from ..branding.shops import ShopLike
from ..commerce.credit_notes import credit_note_label
from ..commerce.invoices import invoice_label
from ..extensions import db
from ..models import AuditEntry, Customer, TeamMember
from ..paging import LAST_PAGE, PageCount
from .shop_numbers import shop_numbers

PER_PAGE = 50

# What an action did to a record, in words; "{record}" is the record as the customer knows it.
ACTION_WORDS = {
    "view": "viewed {record}",
    "reply": "answered {record}",
    "note": "added a note to {record}",
    "status": "changed the status of {record}",
    "escalate": "passed {record} to the escalations team",
    "claim": "took up {record}",
    "assign": "assigned {record}",
    "resolve": "resolved {record}",
    "hand_back": "handed {record} back",
    "bank_transfer": "marked {record} paid",
    "answer": "answered {record}",
    "close": "closed {record}",
    "passed_on": "passed on {record}",
    "purge": "anonymised {record}",
    "record_disclosure": "recorded a disclosure of {record}",
    "send_breach_notices": "sent you a notice about a personal-data breach",
    "activate": "set up {record}",
    "download": "downloaded a file of {record}",
    "open_ticket": "opened a ticket from an email of yours",
    "issue_credit_note": "issued {record}",
    "refunded": "recorded a refund to you",
    "credited": "gave money you overpaid back as account credit",
    "adjust_credit": "adjusted your account credit",
    "suspend": "suspended {record}",
    "unsuspend": "lifted the suspension of {record}",
    "terminate": "terminated {record}",
    "price_change": "scheduled a new price for {record}",
    "cancel_order": "cancelled {record}",
}

# Records the customer knows by the shop's number.
NUMBERED_WORDS = {
    "ticket": "ticket #{number}",
    "order": "order {number}",
    "invoice": "invoice {invoice}",
    "credit_note": "credit note {credit_note}",
}

# Which list showed the customer, by the list's record (an entry with the action "list").
LIST_WORDS = {
    "customers": "saw you in the customer list",
    "orders": "saw your order in the order list",
    "corrections": "saw your correction request in the list of requests",
    "tickets": "saw your ticket in the inbox",
    "escalations": "saw your ticket in the queue of escalated tickets",
    "provisioning": "saw your hosting service in the queue of services to set up",
    "payments": "saw your unpaid invoice in the list of payments to confirm",
    "credit_notes": "saw your credit note in the list of credit notes",
    "refunds": "saw money owed to you in the list of refunds and credit",
    "services": "saw your hosting service in the list of services",
}


class BadPage(ValueError):
    """The page asked for is not a page of the log."""


@dataclass(frozen=True, slots=True)
class Access:
    """One line of the access log, as the customer reads it."""

    at: datetime
    who: str
    team: bool  # the shop's own team (else the escalations team behind it)
    what: str
    why: str


@dataclass(frozen=True, slots=True)
class AccessPage(PageCount):
    """One page of a customer's access log."""

    per_page = PER_PAGE
    entries: list[Access]
    total: int
    page: int


def parse_page(raw: str | None) -> int:
    """Return the page number asked for (1 when none), or raise BadPage with what to do instead."""
    text = (raw or "1").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or not 1 <= int(text) <= LAST_PAGE:
        raise BadPage("The page of the access log must be a whole number from 1.")
    return int(text)


def _by_team_or_staff(customer: Customer):
    return select(AuditEntry).where(
        AuditEntry.customer_id == customer.id,
        or_(AuditEntry.actor.startswith("team:"), AuditEntry.actor.startswith("staff:")),
    )


def access_page(shop: ShopLike, customer: Customer, page: int) -> AccessPage:
    """Return one page of who saw or changed the customer's data, newest first, in four queries."""
    query = _by_team_or_staff(customer)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    listing = AccessPage(entries=[], total=total, page=page)
    if listing.beyond_end:
        pages = listing.pages
        raise BadPage(f"There is no page {page}: the access log has {pages} page{'s' * (pages > 1)}.")
    rows = db.session.scalars(
        query.order_by(AuditEntry.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    )
    return replace(listing, entries=describe(shop, customer, list(rows)))


def full_log(shop: ShopLike, customer: Customer) -> list[Access]:
    """Return the whole access log of the customer, newest first."""
    return describe(
        shop, customer, list(db.session.scalars(_by_team_or_staff(customer).order_by(AuditEntry.id.desc())))
    )


def _ids(entries: list[AuditEntry], prefix: str, attribute: str) -> set[int]:
    found = set()
    for entry in entries:
        kind, _, raw = getattr(entry, attribute).partition(":")
        if kind == prefix and raw.isdigit():
            found.add(int(raw))
    return found


def _team_names(shop: ShopLike, entries: list[AuditEntry]) -> dict[int, str]:
    ids = _ids(entries, "team", "actor")
    if not ids:
        return {}
    rows = db.session.execute(
        select(TeamMember.id, TeamMember.name).where(
            TeamMember.reseller_id == shop.id, TeamMember.id.in_(ids)
        )
    )
    return dict(rows.all())


def record_words(record: str, numbers: dict[str, int]) -> str:
    """Return a record reference (``ticket:412``) as the customer knows it: by the shop's number."""
    kind = record.partition(":")[0]
    number = numbers.get(record)
    if number is not None and kind in NUMBERED_WORDS:
        return NUMBERED_WORDS[kind].format(
            number=number, invoice=invoice_label(number), credit_note=credit_note_label(number)
        )
    words = {
        "customer": "your customer record",
        "ticket": "a ticket of yours",
        "order": "an order of yours",
        "invoice": "an invoice of yours",
        "credit_note": "a credit note of yours",
        "service": "one of your hosting services",
        "correction": "your correction request",
        "disclosure": "your data",
    }
    return words.get(kind, "your data")


def _what(entry: AuditEntry, numbers: dict[str, int]) -> str:
    if entry.action == "list":
        return LIST_WORDS.get(entry.record.partition(":")[0], "saw your data in a list")
    template = ACTION_WORDS.get(entry.action, "worked on {record}")
    return template.format(record=record_words(entry.record, numbers))


def _who_and_why(shop: ShopLike, entry: AuditEntry, team: dict[int, str]) -> tuple[str, bool, str]:
    kind, _, raw = entry.actor.partition(":")
    if kind == "team":
        name = team.get(int(raw)) if raw.isdigit() else None
        return name or f"A former member of the {shop.brand_name} team", True, entry.reason
    # The platform's staff appear only as the shop's escalations team; their notes stay with them.
    why = "working on your escalated ticket" if entry.record.startswith("ticket:") else ""
    return shop.escalation_persona, False, why


def describe(shop: ShopLike, customer: Customer, entries: list[AuditEntry]) -> list[Access]:
    """Turn audit entries into access-log lines, naming team members and the shop's numbers of the
    records in one query each for all of them."""
    team = _team_names(shop, entries)
    numbers = shop_numbers(shop.id, (entry.record for entry in entries), customer_id=customer.id)
    lines = []
    for entry in entries:
        who, is_team, why = _who_and_why(shop, entry, team)
        lines.append(Access(entry.created_at, who, is_team, _what(entry, numbers), why))
    return lines
