"""Files in tickets from the web: customers attach them to new tickets and replies, within the limits of
emailed files; the shop's team and, on escalated tickets, platform staff download them (audited);
everyone else gets 404. Downloads are always saved, never sniffed; sizes read as people write them."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from storefront.extensions import db
from storefront.models import (
    Attachment,
    AuditEntry,
    OutboxMessage,
    Reseller,
    StaffRole,
    Ticket,
    TicketStatus,
    utcnow,
)
from storefront.privacy.retention import purge_shop
from storefront.support.escalation import escalate
from tests.shop.helpers import csrf_from, sign_in
from tests.staff.escalation_helpers import staff_client
from tests.steps import owner_client, shop_id

ACME = "acme.localhost"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 292  # 300 bytes
NOTES = b"<html><script>alert(1)</script></html>"


@pytest.fixture
def aisyah(demo, client_for):
    client = client_for(ACME)
    sign_in(client, "aisyah@example.com")
    return client


def _files(*files: tuple[bytes, str, str]) -> list[FileStorage]:
    return [FileStorage(io.BytesIO(data), name, content_type=kind) for data, name, kind in files]


def _post(client, path: str, fields: dict):
    """POST a multipart form built in memory (the test client spools large ones to files it never closes)."""
    boundary, body = encode_multipart(MultiDict(fields))
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _open(client, files: list, subject: str = "Site down", body: str = "See the screenshot."):
    token = csrf_from(client.get("/account/tickets/new").text)
    fields = {"subject": subject, "body": body, "csrf_token": token, "files": files}
    return _post(client, "/account/tickets/new", fields)


def _stored(app) -> list[tuple[str, str, int, bytes]]:
    with app.app_context():
        rows = db.session.scalars(select(Attachment).order_by(Attachment.id))
        return [(a.filename, a.content_type, a.size_bytes, a.data) for a in rows]


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _links(page: str) -> list[str]:
    return re.findall(r'href="([^"]*/attachments/[0-9a-f]{32})"', page)


def test_the_forms_send_files_without_javascript(aisyah, app) -> None:
    new = aisyah.get("/account/tickets/new").text
    assert 'enctype="multipart/form-data"' in new
    assert 'name="files" type="file" multiple' in new and "Up to 10 files, each at most 5 MB." in new
    opened = _open(aisyah, [])
    assert opened.status_code == 303 and _stored(app) == []
    thread = aisyah.get(opened.headers["Location"]).text
    assert thread.count('enctype="multipart/form-data"') == 1 and 'name="files" type="file"' in thread


def test_a_customer_attaches_files_to_a_new_ticket_and_a_reply(aisyah, app) -> None:
    opened = _open(aisyah, _files((PNG, "../../instance/error shot.png", "image/png")))
    assert opened.status_code == 303
    path = opened.headers["Location"]
    token = csrf_from(aisyah.get(path).text)
    notes = _files((NOTES, "notes.html", "text/html"))
    replied = _post(aisyah, f"{path}/reply", {"body": "And my notes.", "csrf_token": token, "files": notes})
    assert replied.status_code == 303
    assert _stored(app) == [
        ("error shot.png", "image/png", 300, PNG),
        ("notes.html", "text/html", len(NOTES), NOTES),
    ]
    page = aisyah.get(path).text
    assert "error shot.png</a> (300 bytes)" in page and f"notes.html</a> ({len(NOTES)} bytes)" in page
    shot, notes = _links(page)
    image = aisyah.get(shot)
    assert image.status_code == 200 and image.data == PNG and image.mimetype == "image/png"
    html = aisyah.get(notes)
    assert html.data == NOTES and html.mimetype == "application/octet-stream"
    for response in (image, html):
        assert response.headers["Content-Disposition"].startswith("attachment; ")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([(b"x", f"f{i}.txt", "text/plain") for i in range(11)], "Please attach at most 10 files"),
        ([(b"x" * 2001, "big.log", "text/plain")], "big.log is larger than 2 KB"),
    ],
)
def test_too_many_or_too_large_files_are_refused_and_nothing_is_kept(aisyah, app, files, message) -> None:
    app.config["INBOUND_MAX_ATTACHMENT_BYTES"] = 2000
    refused = _open(aisyah, _files(*files), subject="Keep this subject")
    assert refused.status_code == 400 and message in refused.text and "Keep this subject" in refused.text
    assert _count(app, Ticket) == 0 and _stored(app) == [] and _count(app, OutboxMessage) == 0
    path = _open(aisyah, []).headers["Location"]
    token = csrf_from(aisyah.get(path).text)
    reply = {"body": "Here they are", "csrf_token": token, "files": _files(*files)}
    answered = _post(aisyah, f"{path}/reply", reply)
    assert (
        answered.status_code == 400
        and message in answered.text
        and ">Here they are</textarea>" in answered.text
    )
    assert _stored(app) == []
    with app.app_context():
        assert len(db.session.scalar(select(Ticket)).messages) == 1


def test_ticket_forms_take_emails_worth_of_files_and_other_forms_keep_their_limit(aisyah, app) -> None:
    three_mb = b"x" * (3 * 1024 * 1024)
    assert _open(aisyah, _files((three_mb, "dump.bin", "application/octet-stream"))).status_code == 303
    assert _stored(app)[0][2] == len(three_mb)
    token = csrf_from(aisyah.get("/account/profile").text)
    profile = aisyah.post("/account/profile", data={"name": "x" * len(three_mb), "csrf_token": token})
    assert profile.status_code == 413
    app.config["INBOUND_MAX_BYTES"] = 1024 * 1024
    too_big = _open(aisyah, _files((b"y" * (2 * 1024 * 1024), "huge.bin", "application/octet-stream")))
    assert too_big.status_code == 413 and "Acme Hosting" in too_big.text and _count(app, Ticket) == 1


def _ticket_with_a_file(aisyah, app) -> tuple[int, str]:
    """Open a ticket with a file as the customer; return the ticket's id and the file's stored name."""
    _open(aisyah, _files((PNG, "error.png", "image/png")))
    with app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id))
        return ticket_id, db.session.scalar(select(Attachment.stored_name))


def _number(app, ticket_id: int) -> int:
    with app.app_context():
        return db.session.get(Ticket, ticket_id).number


def _downloads(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.actor, AuditEntry.record, AuditEntry.customer_id, AuditEntry.reason).where(
                AuditEntry.action == "download"
            )
        )
        return [tuple(row) for row in rows]


def test_the_team_sees_and_downloads_the_files_audited(aisyah, app, client_for) -> None:
    ticket_id, stored = _ticket_with_a_file(aisyah, app)
    number = _number(app, ticket_id)
    for email in ("owner@acme-hosting.test", "agent@acme-hosting.test"):
        team = owner_client(client_for, email=email)
        page = team.get(f"/console/tickets/{number}").text
        link = f"/console/tickets/{number}/attachments/{stored}"
        assert f'<a href="{link}" hx-disable>error.png</a> (300 bytes)' in page
        response = team.get(link)
        assert response.status_code == 200 and response.data == PNG
        assert response.headers["Content-Disposition"].startswith("attachment; ")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    downloads = _downloads(app)
    assert len(downloads) == 2
    with app.app_context():
        customer = db.session.get(Ticket, ticket_id).customer_id
    assert all(row[1:3] == (f"ticket:{ticket_id}", customer) for row in downloads)
    log = aisyah.get("/account/privacy").text
    assert f"downloaded a file of ticket #{number}" in log


def test_no_one_else_opens_a_tickets_files(aisyah, app, client_for, make_staff) -> None:
    ticket_id, stored = _ticket_with_a_file(aisyah, app)
    link = f"/console/tickets/{_number(app, ticket_id)}/attachments/{stored}"
    kedai = owner_client(client_for, "kedai.localhost")
    assert kedai.get(link).status_code == 404
    assert aisyah.get(link).headers["Location"].startswith("/console/login")
    assert owner_client(client_for).get(link.replace(stored, "0" * 32)).status_code == 404
    staff = staff_client(client_for, make_staff, role=StaffRole.SUPPORT)
    assert (
        staff.get(f"/staff/escalations/{ticket_id}/attachments/{stored}").status_code == 404
    )  # not escalated
    assert _downloads(app) == []


def test_staff_open_the_files_of_escalated_tickets_only_audited(aisyah, app, client_for, make_staff) -> None:
    ticket_id, stored = _ticket_with_a_file(aisyah, app)
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        escalate(db.session.get(Reseller, ticket.reseller_id), ticket, "customer:1", "asked", "Help")
        db.session.commit()
    staff = staff_client(client_for, make_staff, role=StaffRole.SUPPORT)
    page = staff.get(f"/staff/escalations/{ticket_id}").text
    link = f"/staff/escalations/{ticket_id}/attachments/{stored}"
    assert f'href="{link}"' in page and "(300 bytes)" in page
    response = staff.get(link)
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Disposition"].startswith("attachment; ")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    [(actor, record, customer, _)] = _downloads(app)
    assert actor.startswith("staff:") and record == f"ticket:{ticket_id}" and customer is not None
    billing = staff_client(client_for, make_staff, role=StaffRole.BILLING, email="b@p.test")
    assert billing.get(link).status_code == 403
    log = aisyah.get("/account/privacy").text
    assert (
        "Acme Escalations Team" in log and "downloaded a file of ticket #" in log and "Ops Person" not in log
    )


def test_web_files_are_in_the_export_and_go_with_the_purge(aisyah, app) -> None:
    ticket_id, _ = _ticket_with_a_file(aisyah, app)
    data = json.loads(aisyah.get("/account/privacy/export").get_data(as_text=True))
    [ticket] = data["tickets"]
    assert ticket["messages"][0]["attachments"] == [
        {"name": "error.png", "size_bytes": 300, "content_type": "image/png"}
    ]
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        ticket.status, ticket.closed_at = TicketStatus.CLOSED, utcnow() - timedelta(days=3 * 366)
        db.session.commit()
    with app.app_context():
        purge_shop(shop_id(app), utcnow())
    assert _stored(app) == []
