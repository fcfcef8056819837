"""Held mail in the console: mail kept aside that was sent to the shop, for its team to read and dismiss."""

from __future__ import annotations

import re

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import AuditEntry, InboundEmail
from tests.console.shop_data import agent
from tests.mail.inbound_support import eml, file_email
from tests.shop.helpers import csrf_from
from tests.steps import owner_client as owner

# Unreadable: an unknown charset in the subject keeps it aside; the rest is the hostile HTML mail.
HOSTILE = ("Subject: Charged twice for Business plan", "Subject: =?x-martian?Q?Charged_twice?=")


def _tokens(html: str) -> list[str]:
    return re.findall(r'href="/console/held-mail/([A-Za-z0-9_-]+)"', html)


def _record(app, token: str) -> InboundEmail:
    with app.app_context():
        record = db.session.scalar(select(InboundEmail).where(InboundEmail.token == token))
        _ = record.raw  # deferred: load it before the row leaves the session
        db.session.expunge(record)
        return record


def _audit(app, actions: tuple[str, ...]) -> list[tuple[str, str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.action, AuditEntry.record, AuditEntry.reseller_id)
            .where(AuditEntry.action.in_(actions), AuditEntry.record.like("held-mail%"))
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


def test_the_team_sees_mail_kept_aside_that_was_sent_to_its_shop(app, demo, client_for) -> None:
    file_email(app, eml("to-reseller-new-ticket.eml"))  # filed as a ticket: not held
    file_email(app, eml("malformed.eml"))
    file_email(app, eml("many-parts.eml"))
    file_email(app, eml("reused-message-id.eml"))  # sent to Kedai

    acme = owner(client_for).get("/console/held-mail")

    assert acme.status_code == 200
    assert len(_tokens(acme.text)) == 2 and "Held mail" in acme.text
    assert "broken@example.com" in acme.text and "too many MIME parts" in acme.text
    assert "Order log, one part per order" in acme.text and "Contact form" not in acme.text
    assert "Please renew" not in acme.text
    kedai = owner(client_for, "kedai.localhost").get("/console/held-mail").text
    assert "Please renew raj-kedai.test for two years" in kedai and "Message-ID" in kedai
    assert len(_tokens(agent(app, client_for).get("/console/held-mail").text)) == 2  # agents too


def test_a_held_message_opens_as_headers_and_plain_text(app, demo, client_for) -> None:
    file_email(app, eml("html-only-hostile.eml", dict([HOSTILE])))
    team = owner(client_for, "bluewave.localhost")
    [token] = _tokens(team.get("/console/held-mail").text)

    page = team.get(f"/console/held-mail/{token}")

    assert page.status_code == 200
    assert "weiming@example.net" in page.text and "&lt;hostile-1@example.net&gt;" in page.text
    assert "unknown charset" in page.text and "Authentication-Results" not in page.text
    assert "Hello, my invoice lists the Business plan twice this month." in page.text
    assert "{{7*7}}" in page.text and "49" not in page.text.split("<h1", 1)[1]
    shown = page.text.split("<h1", 1)[1]  # the message's part of the page, below the console's head
    for danger in (
        "<script",
        "onerror",
        'hx-get="/console/team',
        "javascript:",
        "<iframe",
        "evil.test/phish",
    ):
        assert danger not in shown
    assert _audit(app, ("view",)) == [("view", f"held-mail:{token}", _record(app, token).reseller_id)]


def test_a_message_the_pre_scan_refused_is_never_parsed_to_be_shown(app, demo, client_for) -> None:
    file_email(app, eml("many-parts.eml"))
    team = owner(client_for)
    [token] = _tokens(team.get("/console/held-mail").text)
    page = team.get(f"/console/held-mail/{token}").text
    assert "The text is not shown: too many MIME parts" in page and "Part 1 of the order log" not in page


def test_dismissing_takes_it_off_the_list_and_keeps_it_stored(app, demo, client_for) -> None:
    file_email(app, eml("malformed.eml"))
    team = owner(client_for)
    listing = team.get("/console/held-mail").text
    [token] = _tokens(listing)

    assert team.post(f"/console/held-mail/{token}/dismiss").status_code == 400  # no CSRF token
    assert _record(app, token).dismissed_at is None
    done = team.post(f"/console/held-mail/{token}/dismiss", data={"csrf_token": csrf_from(listing)})

    assert done.status_code == 303 and done.headers["Location"].endswith("/console/held-mail")
    assert _tokens(team.get("/console/held-mail").text) == []
    assert "No mail is held." in team.get("/console/held-mail").text
    record = _record(app, token)
    assert record.dismissed_at is not None and record.raw
    assert team.get(f"/console/held-mail/{token}").status_code == 404
    assert [action for action, _, _ in _audit(app, ("list", "dismiss"))] == [
        "list",
        "dismiss",
        "list",
        "list",
    ]


def test_another_shops_held_mail_is_not_found(app, demo, client_for) -> None:
    file_email(app, eml("malformed.eml"))
    kedai = owner(client_for, "kedai.localhost")
    acme = owner(client_for)
    [acme_token] = _tokens(acme.get("/console/held-mail").text)
    token = csrf_from(kedai.get("/console/held-mail").text)

    assert kedai.get(f"/console/held-mail/{acme_token}").status_code == 404
    assert (
        kedai.post(f"/console/held-mail/{acme_token}/dismiss", data={"csrf_token": token}).status_code == 404
    )
    assert _record(app, acme_token).dismissed_at is None
    assert kedai.get("/console/held-mail/" + "A" * 22).status_code == 404


def test_the_list_costs_the_same_queries_however_much_is_held(app, demo, client_for, count_queries) -> None:
    team = owner(client_for)
    file_email(app, eml("malformed.eml"))
    team.get("/console/held-mail")
    with count_queries() as few:
        assert team.get("/console/held-mail").status_code == 200
    for number in range(60):
        file_email(app, eml("malformed.eml", {"malformed-1@": f"malformed-{number + 2}@"}))
    with count_queries() as many:
        page = team.get("/console/held-mail")
    assert len(many) == len(few)
    assert len(_tokens(page.text)) == 50 and "Page 1 of 2 · 61 messages" in page.text
    assert len(_tokens(team.get("/console/held-mail?page=2").text)) == 11
