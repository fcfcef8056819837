"""Attachments that came by email: downloadable by the ticket's customer only, never rendered inline."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Attachment, Customer, Reseller, Ticket, TicketMessage
from storefront.support.tickets import add_note
from tests.mail.inbound_support import eml, file_email, shop_id
from tests.shop.helpers import sign_in

ACME = "acme.localhost"


@pytest.fixture
def emailed_files(app, demo) -> dict[str, str]:
    """File with-attachments.eml; return the ticket's number and id, and each file's download path by name."""
    filed = file_email(app, eml("with-attachments.eml"))
    with app.app_context():
        number = db.session.get(Ticket, filed.ticket_id).number
        rows = db.session.scalars(
            select(Attachment).join(TicketMessage).where(TicketMessage.ticket_id == filed.ticket_id)
        )
        paths = {a.filename: f"/account/tickets/{number}/attachments/{a.stored_name}" for a in rows}
    return {"ticket": str(number), "ticket_id": str(filed.ticket_id), **paths}


def _number(app, ticket_id: int) -> int:
    with app.app_context():
        return db.session.get(Ticket, ticket_id).number


def _acme_customer(client_for, email: str = "aisyah@example.com"):
    client = client_for(ACME)
    sign_in(client, email)
    return client


def test_the_customer_downloads_an_attachment_as_a_file(emailed_files, client_for) -> None:
    client = _acme_customer(client_for)
    page = client.get(f"/account/tickets/{emailed_files['ticket']}").text
    assert emailed_files["form error.png"] in page and emailed_files["config.py"] in page

    response = client.get(emailed_files["form error.png"])

    assert response.status_code == 200
    assert response.data.startswith(b"\x89PNG\r\n\x1a\n") and len(response.data) == 78
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"form error.png\"; filename*=UTF-8''form%20error.png"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


def test_other_types_download_as_octet_stream_under_the_cleaned_name(emailed_files, client_for) -> None:
    response = _acme_customer(client_for).get(emailed_files["config.py"])

    assert response.status_code == 200 and response.data == b"MZ\x90\x00not-really-a-program"
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment; ")
    assert "filename*=UTF-8''config.py" in response.headers["Content-Disposition"]
    assert "instance" not in response.headers["Content-Disposition"]


def test_an_anonymous_visitor_is_sent_to_sign_in(emailed_files, client_for) -> None:
    response = client_for(ACME).get(emailed_files["form error.png"])
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_shops_customer_gets_not_found(emailed_files, client_for) -> None:
    client = client_for("bluewave.localhost")
    sign_in(client, "weiming@example.net")
    response = client.get(emailed_files["form error.png"])
    assert response.status_code == 404 and b"PNG" not in response.data


def test_another_customer_of_the_same_shop_gets_not_found(app, emailed_files, client_for) -> None:
    with app.app_context():
        other = Customer(reseller_id=shop_id(app, "acme"), email="siti@example.com", name="Siti")
        other.set_password("storefront-demo")
        db.session.add(other)
        db.session.commit()
    response = _acme_customer(client_for, "siti@example.com").get(emailed_files["form error.png"])
    assert response.status_code == 404


def test_a_name_from_another_ticket_or_an_unknown_name_gets_not_found(app, emailed_files, client_for) -> None:
    other = file_email(app, eml("to-reseller-new-ticket.eml"))
    client = _acme_customer(client_for)
    stored_name = emailed_files["config.py"].rsplit("/", 1)[1]

    for path in (
        f"/account/tickets/{_number(app, other.ticket_id)}/attachments/{stored_name}",
        f"/account/tickets/{emailed_files['ticket']}/attachments/{'0' * 32}",
        f"/account/tickets/{emailed_files['ticket']}/attachments/..%2F..%2Finstance%2Fconfig.py",
        f"/account/tickets/{emailed_files['ticket']}/attachments/config.py",
        f"/account/tickets/99999999999/attachments/{stored_name}",
    ):
        assert client.get(path).status_code == 404, path


def test_an_attachment_on_an_internal_note_is_never_served(app, emailed_files, client_for) -> None:
    with app.app_context():
        ticket = db.session.get(Ticket, int(emailed_files["ticket_id"]))
        note = add_note(ticket, "Looks like a phishing attempt", team_member_id=None)
        db.session.flush()
        note.attachments.append(
            Attachment(
                reseller_id=ticket.reseller_id,
                stored_name="ab" * 16,
                filename="internal.txt",
                content_type="text/plain",
                size_bytes=6,
                data=b"secret",
            )
        )
        db.session.commit()
    client = _acme_customer(client_for)
    assert (
        client.get(f"/account/tickets/{emailed_files['ticket']}/attachments/{'ab' * 16}").status_code == 404
    )
    assert "internal.txt" not in client.get(f"/account/tickets/{emailed_files['ticket']}").text


def test_a_non_ascii_file_name_survives_the_download(app, demo, client_for) -> None:
    raw = eml("with-attachments.eml").replace(
        b'filename="form error.png"', b"filename*=utf-8''%E7%BD%91%E7%AB%99%20r%C3%A9sum%C3%A9.png"
    )
    filed = file_email(app, raw)
    with app.app_context():
        acme = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        attachment = db.session.scalars(
            select(Attachment).join(TicketMessage).where(TicketMessage.ticket_id == filed.ticket_id)
        ).first()
        path = f"/account/tickets/{_number(app, filed.ticket_id)}/attachments/{attachment.stored_name}"
        assert attachment.reseller_id == acme.id
    response = _acme_customer(client_for).get(path)
    disposition = response.headers["Content-Disposition"]
    assert response.status_code == 200
    assert "filename*=UTF-8''%E7%BD%91%E7%AB%99%20r%C3%A9sum%C3%A9.png" in disposition
    assert 'filename="resume.png"' in disposition and disposition.isascii()


def test_a_name_with_no_ascii_letters_falls_back_to_a_generic_one() -> None:
    from storefront.shop.attachments import content_disposition

    assert content_disposition("网站.pdf") == (
        "attachment; filename=\"attachment.pdf\"; filename*=UTF-8''%E7%BD%91%E7%AB%99.pdf"
    )
    assert content_disposition('a"b\\c.txt').startswith('attachment; filename="a_b_c.txt"; ')
