"""Owners publish new versions of the shop's privacy notice in the console; every version is kept."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import AuditEntry, PrivacyNotice, Reseller
from storefront.privacy.privacy_notice import publish_notice
from tests.leakguard import find_leaks
from tests.shop.helpers import csrf_from
from tests.steps import owner_client, team_sign_in

ACME = "acme.localhost"
BODY = "We keep your name, email and orders to serve you. " * 5 + "\n\nWrite to us any time."
CHANGES = "Shorter, plainer wording."


def _shop(app, slug: str = "acme") -> tuple[int, int]:
    """The shop's current notice version and its revision."""
    with app.app_context():
        row = db.session.execute(
            select(Reseller.privacy_notice_version, Reseller.revision).where(Reseller.slug == slug)
        ).one()
        return row.privacy_notice_version, row.revision


def _notice_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PrivacyNotice))


def _publish(client, body: str = BODY, changes: str = CHANGES):
    token = csrf_from(client.get("/console/privacy/notice").text)
    return client.post(
        "/console/privacy/notice", data={"body": body, "changes": changes, "csrf_token": token}
    )


def test_the_owner_sees_the_current_notice_and_its_versions(app, demo, client_for) -> None:
    page = owner_client(client_for).get("/console/privacy/notice")
    assert page.status_code == 200
    assert "Current notice: version 1" in page.text
    assert "Domain registries, for the domains you register through us" in page.text
    assert 'href="/console/privacy/notice/1">Version 1</a>' in page.text
    assert "Set up with the shop" in page.text and "The first version." in page.text
    assert 'href="/console/privacy/notice" aria-current="page">Privacy notice</a>' in page.text  # nav
    assert not find_leaks(app.config, page.text)


def test_publishing_adds_a_version_and_bumps_the_shop_revision(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    before_version, before_revision = _shop(app)
    published = _publish(owner)
    assert published.status_code == 303
    version, revision = _shop(app)
    assert (before_version, version) == (1, 2) and revision > before_revision
    page = owner.get(published.headers["Location"]).text
    assert "Version 2 is published." in page and "Current notice: version 2" in page
    assert "Farid Hassan" in page and CHANGES in page  # who published, and what changed
    old = owner.get("/console/privacy/notice/1").text
    assert "Domain registries, for the domains" in old and "version 1" in old
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.record == "privacy_notice:2"))
        assert entry.action == "publish" and entry.actor.startswith("team:")
        notice = db.session.scalar(select(PrivacyNotice).where(PrivacyNotice.version == 2))
        assert notice.body == BODY.strip() and notice.published_by == entry.actor


@pytest.mark.parametrize(
    ("body", "changes", "message"),
    [
        ("", CHANGES, "Write the notice."),
        ("Too short.", CHANGES, "The notice needs 200 to 20,000 characters."),
        ("x" * 20001, CHANGES, "The notice needs 200 to 20,000 characters."),
        (BODY, "", "Say what changed."),
        (BODY, "abc", "Say what changed in 5 to 500 characters."),
        (BODY, "y" * 501, "Say what changed in 5 to 500 characters."),
        (BODY + "\x00", CHANGES, "invisible control characters"),
        (BODY, "New\x07wording", "invisible control characters"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(app, demo, client_for, body, changes, message) -> None:
    owner = owner_client(client_for)
    before = _shop(app), _notice_count(app)
    refused = _publish(owner, body, changes)
    assert refused.status_code == 400 and message in refused.text
    assert (_shop(app), _notice_count(app)) == before


def test_a_double_submit_or_the_current_text_again_publishes_no_new_version(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    before = _notice_count(app)
    form = {
        "body": BODY,
        "changes": CHANGES,
        "csrf_token": csrf_from(owner.get("/console/privacy/notice").text),
    }
    first, second = (owner.post("/console/privacy/notice", data=form) for _ in range(2))
    assert first.status_code == 303
    assert second.status_code == 409 and "Version 2 already has this text" in second.text
    assert _shop(app)[0] == 2 and _notice_count(app) == before + 1
    again = _publish(owner, "  " + BODY.replace("\n", "\r\n") + "\n", "Nothing really changed.")
    assert again.status_code == 409 and _shop(app)[0] == 2
    with app.app_context():
        published = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "publish")).all()
        assert len(published) == 1


def test_line_breaks_are_kept_and_the_text_trimmed(app, demo, client_for) -> None:
    body = "  First paragraph.\r\nSame paragraph.\r\n\r\n" + "Second paragraph. " * 12
    assert _publish(owner_client(client_for), body).status_code == 303
    with app.app_context():
        stored = db.session.scalar(select(PrivacyNotice.body).where(PrivacyNotice.version == 2))
    assert stored.startswith("First paragraph.\nSame paragraph.\n\nSecond")


def test_an_agent_is_refused(app, demo, client_for) -> None:
    agent = client_for(ACME)
    team_sign_in(agent, "agent@acme-hosting.test")
    token = csrf_from(agent.get("/console/tickets").text)
    assert "Privacy notice" not in agent.get("/console/tickets").text
    assert agent.get("/console/privacy/notice").status_code == 403
    assert agent.get("/console/privacy/notice/1").status_code == 403
    data = {"body": BODY, "changes": CHANGES, "csrf_token": token}
    assert agent.post("/console/privacy/notice", data=data).status_code == 403
    assert _shop(app)[0] == 1 and _notice_count(app) == 3


def test_a_customer_or_visitor_never_reaches_it(demo, client_for) -> None:
    assert client_for(ACME).get("/console/privacy/notice").headers["Location"].startswith("/console/login")


def test_versions_belong_to_their_shop(app, demo, client_for) -> None:
    kedai = owner_client(client_for, "kedai.localhost")
    assert _publish(kedai, "Kedai only. " * 30).status_code == 303
    acme = owner_client(client_for)
    assert acme.get("/console/privacy/notice/2").status_code == 404  # Kedai's version 2
    assert acme.get("/console/privacy/notice/999").status_code == 404
    own = acme.get("/console/privacy/notice/1").text
    assert "Acme Hosting Sdn. Bhd." in own and "Kedai" not in own
    assert "Kedai only." not in acme.get("/console/privacy/notice").text
    assert _shop(app, "acme")[0] == 1 and _shop(app, "kedai")[0] == 2


def test_notice_text_shows_as_text_in_the_console(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    body = "<script>alert(1)</script> {{7*7}} <img src=x onerror=alert(2)>\n\n" + "Words. " * 40
    assert _publish(owner, body, "<b>new</b> {{7*7}}").status_code == 303
    for path in ("/console/privacy/notice", "/console/privacy/notice/2"):
        html = owner.get(path).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html, path
        assert "<img src=x" not in html and "&lt;b&gt;new&lt;/b&gt; {{7*7}}" in html, path


def test_the_first_publication_keeps_the_default_text_as_version_1(app, make_reseller) -> None:
    reseller_id = make_reseller("fresh", legal_name="Fresh Web Enterprise")
    with app.app_context():
        shop = db.session.get(Reseller, reseller_id)
        publish_notice(shop, BODY, CHANGES, "team:1")
        db.session.commit()
        rows = db.session.execute(
            select(PrivacyNotice.version, PrivacyNotice.body, PrivacyNotice.published_by)
            .where(PrivacyNotice.reseller_id == reseller_id)
            .order_by(PrivacyNotice.version)
        ).all()
        assert db.session.get(Reseller, reseller_id).privacy_notice_version == 2
    assert [(row.version, row.published_by) for row in rows] == [(1, "system"), (2, "team:1")]
    assert "see the personal data we hold about you" in rows[0].body


def test_the_versions_page_costs_the_same_however_many_versions(app, demo, client_for, count_queries) -> None:
    owner = owner_client(client_for)

    def cost() -> int:
        with count_queries() as statements:
            assert owner.get("/console/privacy/notice").status_code == 200
        return len(statements)

    assert _publish(owner).status_code == 303
    few = cost()
    with app.app_context():
        shop = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        for number in range(5):
            publish_notice(shop, f"{BODY} ({number})", f"Change number {number}", f"team:{number + 1}")
        db.session.commit()
    assert cost() == few
