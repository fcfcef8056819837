"""Searching the audit log: filters read from a query string, a page of entries, and a CSV export.

A page costs a fixed number of queries however many entries match: the count, the page's
entries (with their shop's name joined), and one query each for the names of the staff and
team members who acted.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select

from .. import whole_numbers
from ..commerce.customer_directory import escape_like
from ..commerce.statement import spreadsheet_safe
from ..extensions import db
from ..models import AuditEntry, Reseller, StaffUser, TeamMember
from ..paging import PageCount, page_count

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000
MAX_ID = 2_147_483_647
ROLES = ("admin", "support", "billing", "owner", "agent", "customer", "system")
_ACTOR = re.compile(r"(?:staff|team|customer):[0-9]{1,10}|system")
ACTION = re.compile(r"[a-z0-9_.:-]{1,40}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Days whose bounds exist in every time zone: year 1 and 9999 overflow once moved to UTC.
EARLIEST_DAY, LATEST_DAY = date(1990, 1, 1), date(2999, 12, 31)


class FilterError(ValueError):
    """A filter value the search cannot use; the message tells a person what to write."""


@dataclass(frozen=True)
class AuditFilters:
    """What to look for; empty fields do not filter. Dates are whole days in ``zone``."""

    shop: int | None = None
    actor: str = ""
    role: str = ""
    action: str = ""
    record: str = ""
    customer: int | None = None
    request: str = ""
    date_from: date | None = None
    date_to: date | None = None
    zone: str = "UTC"

    def query_args(self) -> dict[str, str]:
        """The chosen filters as query-string values, for links and the form."""
        names = {"date_from": "from", "date_to": "to"}
        chosen = {names.get(f.name, f.name): getattr(self, f.name) for f in fields(self) if f.name != "zone"}
        return {key: str(value) for key, value in chosen.items() if value not in (None, "")}

    def describe(self) -> str:
        """The filters in a few words, for the audit entry the search itself writes."""
        chosen = self.query_args()
        return ", ".join(f"{key} {value}" for key, value in chosen.items())[:200] or "no filters"


def whole_number(raw: str, what: str) -> int | None:
    """Return a filter's id (None when empty); anything but a positive whole number is refused."""
    if not raw:
        return None
    number = whole_numbers.whole_number(raw, least=1)
    if number is None:
        raise FilterError(f"The {what} must be a whole number, for example 42.")
    return number


def _day(raw: str, what: str) -> date | None:
    if not raw:
        return None
    try:
        if _DATE.fullmatch(raw) is None:
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        raise FilterError(f"Write the {what} date as year-month-day, for example 2026-11-24.") from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise FilterError(f"The {what} date must be between {EARLIEST_DAY} and {LATEST_DAY}.")
    return day


def _text(raw: str, limit: int, what: str) -> str:
    if len(raw) > limit or not raw.isprintable():
        raise FilterError(f"The {what} can be at most {limit} printable characters.")
    return raw


def checked(value: str, pattern: re.Pattern[str], message: str) -> str:
    """Return a filter's text if it is empty or fits ``pattern``; refuse it with ``message`` otherwise."""
    if value and pattern.fullmatch(value) is None:
        raise FilterError(message)
    return value


def parse_filters(args: Mapping[str, str], zone: str) -> AuditFilters:
    """Read the filters from a query string; raise FilterError naming the first bad value."""
    raw = {key: (args.get(key) or "").strip() for key in ("shop", "actor", "role", "action", "record")}
    raw |= {key: (args.get(key) or "").strip() for key in ("customer", "request", "from", "to")}
    if raw["role"] and raw["role"] not in ROLES:
        raise FilterError(f"Choose the role from the list: {', '.join(ROLES)}.")
    actor_hint = "Write the actor as staff:3, team:5, customer:9 or system."
    filters = AuditFilters(
        shop=whole_number(raw["shop"], "shop"),
        actor=checked(raw["actor"].lower(), _ACTOR, actor_hint),
        role=raw["role"],
        action=checked(raw["action"].lower(), ACTION, "An action is a word such as view, reply or role."),
        record=_text(raw["record"], 60, "record"),
        customer=whole_number(raw["customer"], "customer id"),
        request=_text(raw["request"], 64, "request id"),
        date_from=_day(raw["from"], "from"),
        date_to=_day(raw["to"], "to"),
        zone=zone,
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise FilterError("The from date must not be after the to date.")
    return filters


def _starts_at(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _conditions(filters: AuditFilters) -> list[ColumnElement[bool]]:
    exact = {
        AuditEntry.reseller_id: filters.shop,
        AuditEntry.actor: filters.actor,
        AuditEntry.actor_role: filters.role,
        AuditEntry.action: filters.action,
        AuditEntry.customer_id: filters.customer,
        AuditEntry.request_id: filters.request,
    }
    conditions = [column == value for column, value in exact.items() if value not in (None, "")]
    if filters.record:
        conditions.append(AuditEntry.record.like(f"{escape_like(filters.record)}%", escape="\\"))
    if filters.date_from:
        conditions.append(AuditEntry.created_at >= _starts_at(filters.date_from, filters.zone))
    if filters.date_to:
        next_day = filters.date_to + timedelta(days=1)
        conditions.append(AuditEntry.created_at < _starts_at(next_day, filters.zone))
    return conditions


@dataclass(frozen=True)
class AuditRow:
    """One audit entry as the search shows it, with the actor's name where one is known."""

    entry: AuditEntry
    shop_name: str | None
    who: str


@dataclass(frozen=True)
class AuditPage(PageCount):
    """A page of the entries matching the filters, newest first."""

    per_page = PAGE_SIZE

    rows: list[AuditRow]
    total: int
    page: int
    filters: AuditFilters


def count_entries(filters: AuditFilters) -> int:
    """Return how many entries match the filters."""
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(*_conditions(filters)))


def _entries(filters: AuditFilters) -> Select:
    return (
        select(AuditEntry, Reseller.brand_name)
        .outerjoin(Reseller, Reseller.id == AuditEntry.reseller_id)
        .where(*_conditions(filters))
        .order_by(AuditEntry.id.desc())
    )


def actor_ids(entries: Iterable[AuditEntry], kind: str) -> set[int]:
    """Return the ids of the entries' actors of one kind (``staff`` or ``team``)."""
    prefix = f"{kind}:"
    ids = (entry.actor.removeprefix(prefix) for entry in entries if entry.actor.startswith(prefix))
    return {number for number in map(whole_numbers.whole_number, ids) if number is not None}


def actor_names(entries: list[AuditEntry]) -> dict[str, str]:
    """Return the names of the staff and team members among the entries' actors, in two queries."""
    staff = select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(actor_ids(entries, "staff")))
    team = select(TeamMember.id, TeamMember.name).where(TeamMember.id.in_(actor_ids(entries, "team")))
    names = {f"staff:{staff_id}": name for staff_id, name in db.session.execute(staff)}
    return names | {f"team:{member_id}": name for member_id, name in db.session.execute(team)}


def _rows(found: list[tuple[AuditEntry, str | None]]) -> list[AuditRow]:
    names = actor_names([entry for entry, _ in found])
    return [AuditRow(entry, shop, names.get(entry.actor, entry.actor)) for entry, shop in found]


def audit_page(filters: AuditFilters, page: int) -> AuditPage:
    """Return a page of matching entries, newest first; a page past the end shows the last one."""
    total = count_entries(filters)
    page = max(1, min(page, page_count(total, PAGE_SIZE)))
    found = db.session.execute(_entries(filters).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return AuditPage(_rows([tuple(row) for row in found]), total, page, filters)


CSV_HEADER = (
    "time (UTC)",
    "actor",
    "who",
    "role",
    "shop id",
    "shop",
    "record",
    "customer id",
    "action",
    "reason",
    "request id",
)


def _csv_cells(row: AuditRow) -> list[str]:
    entry = row.entry
    cells = (
        entry.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        entry.actor,
        row.who,
        entry.actor_role,
        entry.reseller_id or "",
        row.shop_name or "",
        entry.record,
        entry.customer_id or "",
        entry.action,
        entry.reason,
        entry.request_id,
    )
    return [spreadsheet_safe(str(cell)) for cell in cells]


def audit_csv(filters: AuditFilters) -> str:
    """Return every matching entry as CSV, newest first, each cell safe to open in a spreadsheet."""
    found = db.session.execute(_entries(filters).limit(EXPORT_LIMIT)).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(_csv_cells(row) for row in _rows([tuple(row) for row in found]))
    return buffer.getvalue()
