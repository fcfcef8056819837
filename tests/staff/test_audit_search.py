"""Searching the audit log on the staff host: filters, bad input, pages, CSV, and the log's own rules."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from storefront.extensions import db
from storefront.models import AuditEntry, StaffRole, TeamMember, TeamRole, utcnow
from storefront.models.audit import AuditLogIsAppendOnly
from tests.staff.escalation_helpers import staff_client, staff_id

AUDITOR = "auditor@platform.test"


@pytest.fixture
def admin(client_for, make_staff):
    """A client signed in as an admin."""
    return staff_client(client_for, make_staff, role=StaffRole.ADMIN, email=AUDITOR)


@pytest.fixture
def shops(make_reseller) -> dict[str, int]:
    return {"acme": make_reseller("acme"), "bluewave": make_reseller("bluewave")}


def add_entries(app, *specs: dict) -> None:
    """Append audit entries; each spec overrides a plain system entry."""
    with app.app_context():
        for spec in specs:
            fields = {"actor": "system", "actor_role": "system", "record": "ticket:1", "action": "view"}
            db.session.add(AuditEntry(**{**fields, "created_at": utcnow(), **spec}))
        db.session.commit()


def entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        db.session.expunge_all()
        return found


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# reason, actor, role, shop, record, action, customer id, request id, time (UTC)
LOGGED = [
    # 16:30 UTC on 1 January is 00:30 on 2 January in Kuala Lumpur.
    ("mark-a", "staff:901", "support", "acme", "ticket:1", "view", 7, "req-a", "2026-01-01T16:30:00"),
    ("mark-b", "staff:9012", "admin", "acme", "ticket:12", "reply", 8, "req-b", "2026-01-01T15:30:00"),
    ("mark-c", "team:5", "owner", "bluewave", "customer:7", "view", 7, "", "2026-01-03T00:00:00"),
    ("mark-d", "customer:9", "customer", "bluewave", "a_b:1", "download", 9, "", "2025-12-01T00:00:00"),
    ("mark-e", "system", "system", None, "a%b:1", "purge", None, "", "2025-12-01T00:00:00"),
    ("mark-f", "system", "system", None, "axb:1", "view", None, "", "2025-12-01T00:00:00"),
]
MARKS = tuple(row[0] for row in LOGGED)


@pytest.fixture
def logged(app, shops) -> dict[str, int]:
    """Six entries that differ in every field the search filters by."""
    columns = (
        "reason",
        "actor",
        "actor_role",
        "reseller_id",
        "record",
        "action",
        "customer_id",
        "request_id",
    )
    specs = [dict(zip(columns, row[:-1], strict=True)) | {"created_at": at(row[-1])} for row in LOGGED]
    add_entries(app, *({**spec, "reseller_id": shops.get(spec["reseller_id"])} for spec in specs))
    return shops


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", MARKS),
        ("shop={acme}", ("mark-a", "mark-b")),
        ("actor=staff:901", ("mark-a",)),
        ("actor=TEAM:5", ("mark-c",)),
        ("role=admin", ("mark-b",)),
        ("action=view", ("mark-a", "mark-c", "mark-f")),
        ("record=ticket:1", ("mark-a", "mark-b")),
        ("record=a_", ("mark-d",)),
        ("record=a%25", ("mark-e",)),
        ("customer=7", ("mark-a", "mark-c")),
        ("request=req-a", ("mark-a",)),
        ("from=2026-01-02", ("mark-a", "mark-c")),
        ("to=2026-01-01", ("mark-b", "mark-d", "mark-e", "mark-f")),
        ("from=2026-01-01&to=2026-01-01", ("mark-b",)),
        ("shop={acme}&action=view", ("mark-a",)),
        ("shop={bluewave}&customer=8", ()),
    ],
)
def test_filters_narrow_the_log(admin, logged, query: str, expected: tuple[str, ...]) -> None:
    response = admin.get(f"/staff/audit?{query.format(**logged)}")
    assert response.status_code == 200
    for mark in MARKS:
        assert (mark in response.text) == (mark in expected), mark
    assert f"<strong>{len(expected)}</strong> entr" in response.text


def test_entries_show_who_acted_by_name(app, admin, shops, make_staff) -> None:
    colleague = make_staff(email="colleague@platform.test")
    with app.app_context():
        member = TeamMember(
            reseller_id=shops["acme"], email="tm@acme.test", name="Tina Owner", role=TeamRole.OWNER
        )
        member.set_password("a long enough password")
        db.session.add(member)
        db.session.commit()
        member_id = member.id
    add_entries(
        app,
        {"actor": f"staff:{colleague}", "actor_role": "support", "reseller_id": shops["acme"]},
        {"actor": f"team:{member_id}", "actor_role": "owner", "reseller_id": shops["acme"]},
        {"actor": "staff:424242", "actor_role": "support"},
    )
    page = admin.get("/staff/audit").text
    assert "Ops Person" in page and "Tina Owner" in page and "staff:424242" in page
    assert "Acme Hosting" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("shop=abc", "The shop must be a whole number"),
        ("shop=999999", "There is no such shop."),
        ("actor=root", "Write the actor as staff:3, team:5, customer:9 or system."),
        ("actor=staff:abc", "Write the actor as"),
        ("role=king", "Choose the role from the list"),
        ("action=drop%20table", "An action is a word"),
        ("record=" + "x" * 61, "The record can be at most 60 printable characters."),
        ("record=ticket%00", "The record can be at most 60 printable characters."),
        ("customer=-3", "The customer id must be a whole number"),
        ("customer=0", "The customer id must be a whole number"),
        ("request=" + "r" * 65, "The request id can be at most 64"),
        ("from=2026-13-01", "Write the from date as year-month-day"),
        ("to=24/11/2026", "Write the to date as year-month-day"),
        ("from=2026-02-01&to=2026-01-01", "The from date must not be after the to date."),
        ("from=0001-01-01", "The from date must be between 1990-01-01 and 2999-12-31."),
        ("to=9999-12-31", "The to date must be between 1990-01-01 and 2999-12-31."),
        ("page=0", "The page must be a whole number"),
        ("page=abc", "The page must be a whole number"),
    ],
)
def test_bad_filters_are_refused_with_a_message(app, admin, shops, query: str, message: str) -> None:
    response = admin.get(f"/staff/audit?{query}")
    assert response.status_code == 400
    assert message in response.text
    assert admin.get(f"/staff/audit.csv?{query}").status_code == (200 if query.startswith("page") else 400)
    assert [entry.action for entry in entries(app, "audit_search")] == []


def test_the_log_is_paged_newest_first(app, admin, shops) -> None:
    start = at("2026-03-01T00:00:00")
    add_entries(
        app,
        *(
            {"record": "paged:1", "reason": f"entry-{i:03d}", "created_at": start + timedelta(minutes=i)}
            for i in range(120)
        ),
    )
    first = admin.get("/staff/audit?record=paged").text
    shown = re.findall(r"entry-\d{3}", first)
    assert len(shown) == 50 and shown[0] == "entry-119" and shown[-1] == "entry-070"
    assert "page 1 of 3" in first and 'rel="next"' in first
    last = admin.get("/staff/audit?record=paged&page=3").text
    assert re.findall(r"entry-\d{3}", last) == [f"entry-{i:03d}" for i in range(19, -1, -1)]
    past_the_end = admin.get("/staff/audit?record=paged&page=9")
    assert past_the_end.status_code == 200 and "Page 3 of 3" in past_the_end.text


def test_a_page_costs_the_same_queries_however_many_entries(app, admin, shops, count_queries) -> None:
    def one_of_each(i: int) -> list[dict]:
        return [
            {"actor": f"staff:{i}", "actor_role": "support", "reseller_id": shops["acme"], "customer_id": i},
            {"actor": f"team:{i}", "actor_role": "agent", "reseller_id": shops["bluewave"], "customer_id": i},
        ]

    add_entries(app, *one_of_each(1))
    admin.get("/staff/audit")
    with count_queries() as few:
        assert admin.get("/staff/audit").status_code == 200
    add_entries(app, *(spec for i in range(2, 80) for spec in one_of_each(i)))
    with count_queries() as many:
        assert admin.get("/staff/audit").status_code == 200
    assert len(few) == len(many)


def test_csv_holds_the_filtered_entries_safe_for_spreadsheets(app, admin, logged) -> None:
    add_entries(
        app,
        {"action": "export", "reason": '=HYPERLINK("http://evil.test","open")', "request_id": "+1"},
        {"action": "export", "reason": "@SUM(A1)", "record": "-2"},
    )
    response = admin.get("/staff/audit.csv?action=export")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=audit-log.csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["time (UTC)", "actor", "who"] and len(rows) == 3
    cells = {cell for row in rows[1:] for cell in row}
    assert '\'=HYPERLINK("http://evil.test","open")' in cells and "'@SUM(A1)" in cells
    assert "'+1" in cells and "'-2" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "mark-a" not in response.text
    [export] = entries(app, "audit_export")
    assert export.actor == f"staff:{staff_id(app, AUDITOR)}" and "action export; 2 entries" in export.reason


def test_too_large_an_export_asks_for_narrower_filters(admin, logged, monkeypatch) -> None:
    monkeypatch.setattr("storefront.staff.audit.EXPORT_LIMIT", 5)
    response = admin.get("/staff/audit.csv")
    assert response.status_code == 400 and "6 entries match" in response.text
    assert admin.get("/staff/audit.csv?record=ticket").status_code == 200


def test_searching_the_log_is_itself_audited(app, admin, logged) -> None:
    admin.get(f"/staff/audit?shop={logged['acme']}&action=view")
    [search] = entries(app, "audit_search")
    assert search.actor == f"staff:{staff_id(app, AUDITOR)}" and search.actor_role == "admin"
    assert search.record == "audit_log" and search.reseller_id == logged["acme"]
    assert search.reason == f"shop {logged['acme']}, action view; page 1, 1 entries"
    assert search.customer_id is None and search.request_id
    assert "audit_search" in admin.get("/staff/audit").text


def test_the_log_is_kept_out_of_every_cache(admin, logged) -> None:
    assert admin.get("/staff/audit").headers["Cache-Control"] == "no-store"
    assert admin.get("/staff/audit?from=2026-13-01").headers["Cache-Control"] == "no-store"
    assert "no-store" in admin.get("/staff/audit.csv").headers["Cache-Control"]


def test_entries_are_shown_as_text(app, admin, shops) -> None:
    add_entries(app, {"reason": "<img src=x onerror=alert(1)>", "record": "{{7*7}}"})
    page = admin.get("/staff/audit").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "{{7*7}}" in page and ">49<" not in page


def test_audit_entries_can_be_neither_changed_nor_deleted(app) -> None:
    add_entries(app, {"reason": "kept"})
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry))
        entry.reason = "rewritten"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalar(select(AuditEntry)))
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(AuditEntry.reason)) == "kept"


def test_update_and_delete_statements_cannot_reach_the_audit_log(app) -> None:
    add_entries(app, {"reason": "kept"})
    with app.app_context():
        for statement in (
            update(AuditEntry).values(reason="rewritten"),
            update(AuditEntry.__table__).values(reason="rewritten"),
            delete(AuditEntry).where(AuditEntry.reason == "kept"),
            delete(AuditEntry.__table__),
        ):
            with pytest.raises(AuditLogIsAppendOnly):
                db.session.execute(statement)
            db.session.rollback()
        assert db.session.scalar(select(AuditEntry.reason)) == "kept"
        db.session.execute(update(TeamMember).values(name="Other statements still run"))
        db.session.rollback()
    # Outside a session the table is plain (no database trigger): the suite's teardown empties it.
