"""The shop's team: owners invite by email and remove members; invitations are accepted by link."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, insert, select, update

from storefront.extensions import db
from storefront.mail.delivery import build_email
from storefront.models import (
    AuditEntry,
    OutboxMessage,
    TeamInvitation,
    TeamMember,
    TeamRole,
    utcnow,
)
from tests.leakguard import find_leaks
from tests.shop.helpers import csrf_from, link_in, outbox, sign_in
from tests.steps import make_ticket, owner_client, shop_id, team_sign_in

ACME = "acme.localhost"
OWNER = "owner@acme-hosting.test"
AGENT = "agent@acme-hosting.test"  # Siti Rahman in the demo data
PASSWORD = "a long new password"


def _add_member(app, email: str, role: TeamRole = TeamRole.AGENT, slug: str = "acme") -> int:
    with app.app_context():
        member = TeamMember(reseller_id=shop_id(app, slug), email=email, name=email.split("@")[0], role=role)
        member.set_password("storefront-demo")
        db.session.add(member)
        db.session.commit()
        return member.number


def _member(app, email: str, slug: str = "acme") -> TeamMember | None:
    with app.app_context():
        member = db.session.scalar(
            select(TeamMember).where(TeamMember.reseller_id == shop_id(app, slug), TeamMember.email == email)
        )
        db.session.expunge_all()
        return member


def _invite(client, email: str = "new@example.com", role: str = "agent", name: str = "New Person", **extra):
    token = csrf_from(client.get("/console/team").text)
    data = {"name": name, "email": email, "role": role, "csrf_token": token, **extra}
    return client.post("/console/team/invite", data=data)


def _invitation_path(app, to: str = "new@example.com") -> str:
    return urlsplit(link_in(outbox(app, to=to, kind="team_invitation")[-1], "/console/invitations/")).path


def _accept(
    client, path: str, name: str = "New Person", password: str = PASSWORD, confirm: str | None = None
):
    page = client.get(path)
    token = csrf_from(page.text) if page.status_code == 200 else csrf_from(client.get("/console/login").text)
    data = {"name": name, "password": password, "confirm": confirm or password, "csrf_token": token}
    return client.post(path, data=data)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _audit_actions(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.record.split(":")[0], e.action) for e in db.session.scalars(select(AuditEntry))]


def test_owner_invites_by_email_on_the_shops_own_domain(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    token = csrf_from(owner.get("/console/team").text)
    sent = owner.post(
        "/console/team/invite",
        data={"name": "Nadia Karim", "email": " Nadia@Example.com ", "role": "agent", "csrf_token": token},
        headers={"X-Forwarded-Host": "evil.example"},
    )
    assert sent.status_code == 303
    [message] = outbox(app, kind="team_invitation")
    assert message.to_address == "nadia@example.com"
    assert message.subject == "Farid Hassan invited you to the Acme Hosting team"
    link = link_in(message, "/console/invitations/")
    assert link.startswith("http://shop.acme-hosting.test/console/invitations/")
    secret = link.rsplit("/", 1)[1]
    assert not find_leaks(app.config, build_email(message).as_string())
    with app.app_context():
        invitation = db.session.scalar(select(TeamInvitation))
        assert invitation.token_hash == hashlib.sha256(secret.encode()).hexdigest() != secret
        assert invitation.expires_at - utcnow() > timedelta(days=6)
    page = owner.get("/console/team").text
    assert "nadia@example.com" in page and "Invitation sent to nadia@example.com." in page
    assert ("team_invitation", "invite") in _audit_actions(app)


def test_accepting_sets_the_password_and_the_member_signs_in_with_their_role(app, demo, client_for) -> None:
    _invite(owner_client(client_for), name="Nadia Karim")
    path = _invitation_path(app)
    visitor = client_for("shop.acme-hosting.test")
    form = visitor.get(path)
    assert form.status_code == 200 and 'value="Nadia Karim"' in form.text and "new@example.com" in form.text
    accepted = _accept(visitor, path, name="Nadia binti Karim")
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/console/login"
    assert "Welcome to the team, Nadia binti Karim" in visitor.get("/console/login").text
    agent = client_for(ACME)
    assert team_sign_in(agent, "new@example.com", PASSWORD).status_code == 302
    assert agent.get("/console/tickets").status_code == 200
    assert agent.get("/console/team").status_code == 403
    assert "Nadia binti Karim (agent)" in agent.get("/console/tickets").text
    with app.app_context():
        assert db.session.scalar(select(TeamInvitation.accepted_at)) is not None
    assert ("team_member", "join") in _audit_actions(app)
    reused = _accept(client_for(ACME), path, password="another long password")
    assert reused.status_code == 404 and "no longer valid" in reused.text
    assert team_sign_in(client_for(ACME), "new@example.com", "another long password").status_code == 400


def test_an_invited_owner_gets_the_owners_pages(app, demo, client_for) -> None:
    _invite(owner_client(client_for), email="partner@example.com", role="owner")
    _accept(client_for(ACME), _invitation_path(app, "partner@example.com"))
    partner = client_for(ACME)
    assert team_sign_in(partner, "partner@example.com", PASSWORD).status_code == 302
    assert partner.get("/console/team").status_code == 200


def test_agents_are_refused_the_team_page_and_its_actions(app, demo, client_for) -> None:
    owner_id = _member(app, OWNER).number
    _invite(owner_client(client_for))
    agent = client_for(ACME)
    team_sign_in(agent, AGENT)
    token = csrf_from(agent.get("/console/tickets").text)
    with app.app_context():
        invitation_id = db.session.scalar(select(TeamInvitation.number))
    assert agent.get("/console/team").status_code == 403
    assert agent.get(f"/console/team/members/{owner_id}/remove").status_code == 403
    posts = {
        "/console/team/invite": {"name": "X", "email": "x@example.com", "role": "owner"},
        f"/console/team/invitations/{invitation_id}/revoke": {},
        f"/console/team/members/{owner_id}/remove": {},
        f"/console/team/members/{owner_id}/role": {"role": "agent"},
    }
    for path, data in posts.items():
        assert agent.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert _member(app, OWNER).role == TeamRole.OWNER and _member(app, OWNER).removed_at is None
    assert _count(app, TeamInvitation) == 1 and len(outbox(app, kind="team_invitation")) == 1
    with app.app_context():
        assert db.session.scalar(select(TeamInvitation.revoked_at)) is None


def test_customers_and_team_members_do_not_open_each_others_areas(demo, client_for) -> None:
    customer = client_for(ACME)
    sign_in(customer, "aisyah@example.com")
    assert customer.get("/console/team").headers["Location"].startswith("/console/login")
    assert sign_in(client_for(ACME), OWNER).status_code == 400  # team credentials on the shop's sign-in
    team = owner_client(client_for)
    assert team.get("/account/orders").headers["Location"].startswith("/login")


def test_removal_ends_the_members_session_and_sign_in(app, demo, client_for) -> None:
    agent_id = _member(app, AGENT).number
    agent = client_for(ACME)
    team_sign_in(agent, AGENT)
    assert agent.get("/console/tickets").status_code == 200
    owner = owner_client(client_for)
    assert "Remove Siti Rahman…" in owner.get("/console/team").text
    confirm = owner.get(f"/console/team/members/{agent_id}/remove")
    assert confirm.status_code == 200 and "signed out at once" in confirm.text
    removed = owner.post(
        f"/console/team/members/{agent_id}/remove", data={"csrf_token": csrf_from(confirm.text)}
    )
    assert removed.status_code == 303
    assert "Siti Rahman is off the team" in owner.get("/console/team").text
    assert AGENT not in owner.get("/console/team").text
    assert agent.get("/console/tickets").headers["Location"].startswith("/console/login")
    assert team_sign_in(client_for(ACME), AGENT).status_code == 400
    assert _member(app, AGENT).removed_at is not None
    assert ("team_member", "remove") in _audit_actions(app)


def test_a_removed_member_gets_no_more_team_email(app, demo, client_for) -> None:
    agent_id = _member(app, AGENT).number
    owner = owner_client(client_for)
    page = owner.get(f"/console/team/members/{agent_id}/remove")
    owner.post(f"/console/team/members/{agent_id}/remove", data={"csrf_token": csrf_from(page.text)})
    make_ticket(app, subject="Private matter")
    make_ticket(app, subject="Due soon", now=utcnow() - timedelta(hours=3, minutes=30))
    app.test_cli_runner().invoke(args=["tickets", "remind"])
    kinds = {message.kind for message in outbox(app, to="owner@acme-hosting.test")}
    assert {"team_ticket_new", "team_deadline_close"} <= kinds
    assert outbox(app, to=AGENT) == []


def test_a_removed_member_can_be_invited_back_on_their_old_row(app, demo, client_for) -> None:
    agent_id = _member(app, AGENT).number
    owner = owner_client(client_for)
    page = owner.get(f"/console/team/members/{agent_id}/remove")
    owner.post(f"/console/team/members/{agent_id}/remove", data={"csrf_token": csrf_from(page.text)})
    assert _invite(owner, email=AGENT, role="owner").status_code == 303
    assert _accept(client_for(ACME), _invitation_path(app, AGENT)).status_code == 302
    member = _member(app, AGENT)
    assert (member.number, member.role, member.removed_at) == (agent_id, TeamRole.OWNER, None)
    assert team_sign_in(client_for(ACME), AGENT).status_code == 400  # the old password
    assert team_sign_in(client_for(ACME), AGENT, PASSWORD).status_code == 302


def test_removing_a_member_withdraws_the_invitations_they_sent(app, demo, client_for) -> None:
    """A removed owner cannot come back through an invitation they sent to another address of theirs."""
    co_owner_id = _add_member(app, "co-owner@acme-hosting.test", TeamRole.OWNER)
    co_owner = owner_client(client_for, email="co-owner@acme-hosting.test")
    assert _invite(co_owner, email="backup@example.com", role="owner").status_code == 303
    assert _invite(owner_client(client_for), email="kept@example.com").status_code == 303
    owner = owner_client(client_for)
    path = f"/console/team/members/{co_owner_id}/remove"
    assert owner.post(path, data={"csrf_token": csrf_from(owner.get(path).text)}).status_code == 303
    assert _accept(client_for(ACME), _invitation_path(app, "backup@example.com")).status_code == 404
    assert _member(app, "backup@example.com") is None
    team = owner.get("/console/team").text
    assert "backup@example.com" not in team and "kept@example.com" in team
    assert _accept(client_for(ACME), _invitation_path(app, "kept@example.com")).status_code == 302


def test_the_last_owner_stays_an_owner_and_nobody_removes_themselves(app, demo, client_for) -> None:
    owner_id = _member(app, OWNER).number
    owner = owner_client(client_for)
    token = csrf_from(owner.get("/console/team").text)
    itself = owner.post(f"/console/team/members/{owner_id}/remove", data={"csrf_token": token})
    assert itself.status_code == 400 and "You cannot remove yourself" in itself.text
    demoted = owner.post(
        f"/console/team/members/{owner_id}/role", data={"role": "agent", "csrf_token": token}
    )
    assert demoted.status_code == 400 and "Farid Hassan is the only owner" in demoted.text
    assert _member(app, OWNER).role == TeamRole.OWNER and _member(app, OWNER).removed_at is None
    partner_id = _add_member(app, "partner@acme-hosting.test", TeamRole.OWNER)
    promoted = owner.post(
        f"/console/team/members/{owner_id}/role", data={"role": "agent", "csrf_token": token}
    )
    assert (
        promoted.headers["Location"] == "/console/tickets" and owner.get("/console/team").status_code == 403
    )
    partner = owner_client(client_for, email="partner@acme-hosting.test")
    refused = partner.post(
        f"/console/team/members/{partner_id}/role",
        data={"role": "agent", "csrf_token": csrf_from(partner.get("/console/team").text)},
    )
    assert refused.status_code == 400 and "is the only owner" in refused.text
    assert ("team_member", "role") in _audit_actions(app)


def test_an_invitation_from_one_shop_is_not_valid_on_another(app, demo, client_for) -> None:
    _invite(owner_client(client_for))
    path = _invitation_path(app)
    kedai = client_for("kedai.localhost")
    assert kedai.get(path).status_code == 404
    answer = _accept(kedai, path)
    assert answer.status_code == 404 and "no longer valid" in answer.text
    assert _member(app, "new@example.com") is None and _member(app, "new@example.com", "kedai") is None
    with app.app_context():
        assert db.session.scalar(select(TeamInvitation.accepted_at)) is None
    assert client_for(ACME).get(path).status_code == 200


def test_used_expired_withdrawn_and_replaced_links_are_not_valid(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    _invite(owner, email="used@example.com")
    used = _invitation_path(app, "used@example.com")
    _accept(client_for(ACME), used)
    _invite(owner, email="late@example.com")
    late = _invitation_path(app, "late@example.com")
    with app.app_context():
        db.session.execute(
            update(TeamInvitation)
            .where(TeamInvitation.email == "late@example.com")
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    _invite(owner, email="withdrawn@example.com")
    withdrawn = _invitation_path(app, "withdrawn@example.com")
    with app.app_context():
        withdrawn_id = db.session.scalar(
            select(TeamInvitation.number).where(TeamInvitation.email == "withdrawn@example.com")
        )
    token = csrf_from(owner.get("/console/team").text)
    assert (
        owner.post(f"/console/team/invitations/{withdrawn_id}/revoke", data={"csrf_token": token}).status_code
        == 303
    )
    assert "withdrawn@example.com</td>" not in owner.get("/console/team").text
    _invite(owner, email="twice@example.com")
    first = _invitation_path(app, "twice@example.com")
    _invite(owner, email="twice@example.com", role="owner")
    second = _invitation_path(app, "twice@example.com")
    for path in (used, late, withdrawn, first, "/console/invitations/not-a-real-token"):
        assert client_for(ACME).get(path).status_code == 404, path
        assert _accept(client_for(ACME), path).status_code == 404, path
    for email in ("late@example.com", "withdrawn@example.com", "twice@example.com"):
        assert _member(app, email) is None
    assert _accept(client_for(ACME), second).status_code == 302
    assert _member(app, "twice@example.com").role == TeamRole.OWNER


def test_bad_invitations_are_refused_and_nothing_is_written(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    bad_email = _invite(owner, email="not an address")
    assert bad_email.status_code == 400 and "Please enter a valid email address." in bad_email.text
    bad_role = _invite(owner, role="admin")
    assert bad_role.status_code == 400 and "Please choose a role: owner or agent." in bad_role.text
    no_name = _invite(owner, name="  ")
    assert no_name.status_code == 400 and "Please enter their name." in no_name.text
    member = _invite(owner, email="Owner@Acme-Hosting.test")
    assert member.status_code == 400 and "owner@acme-hosting.test is already on the team." in member.text
    refused = _invite(owner, email="süpport@example.com")  # mail headers need ASCII: was a 500
    assert refused.status_code == 400 and "before the @-sign are not supported" in refused.text
    no_csrf = owner.post(
        "/console/team/invite", data={"name": "A", "email": "a@example.com", "role": "agent"}
    )
    assert no_csrf.status_code == 400
    assert _count(app, TeamInvitation) == 0 and _count(app, OutboxMessage) == 0
    assert _audit_actions(app) == []


def test_a_bad_acceptance_form_leaves_the_invitation_open(app, demo, client_for) -> None:
    _invite(owner_client(client_for))
    path = _invitation_path(app)
    visitor = client_for(ACME)
    short = _accept(visitor, path, password="short")
    assert short.status_code == 400 and "Use 10 to 200 characters." in short.text
    differ = _accept(visitor, path, confirm="a different long password")
    assert differ.status_code == 400 and "The passwords differ." in differ.text
    no_csrf = visitor.post(path, data={"name": "X", "password": PASSWORD, "confirm": PASSWORD})
    assert no_csrf.status_code == 400
    assert _member(app, "new@example.com") is None
    assert _accept(visitor, path).status_code == 302


def test_extra_fields_cannot_pick_the_shop(app, demo, client_for) -> None:
    kedai = shop_id(app, "kedai")
    _invite(owner_client(client_for), reseller_id=str(kedai), invited_by_id="999")
    with app.app_context():
        invitation = db.session.scalar(select(TeamInvitation))
        assert invitation.reseller_id == shop_id(app) and invitation.invited_by_id == _member(app, OWNER).id


def test_other_shops_members_and_invitations_are_not_found(app, demo, client_for) -> None:
    _add_member(app, "third@kedaihosting.test", slug="kedai")
    kedai_owner = _add_member(app, "co-owner@kedaihosting.test", TeamRole.OWNER, slug="kedai")
    kedai = owner_client(client_for, "kedai.localhost", "owner@kedaihosting.test")
    _invite(kedai, email="j@example.com")
    _invite(kedai, email="k@example.com")
    with app.app_context():
        kedai_invitation = db.session.scalar(
            select(TeamInvitation.number).where(TeamInvitation.email == "k@example.com")
        )
        acme = db.session.scalars(
            select(TeamMember.number).where(TeamMember.reseller_id == shop_id(app))
        ).all()
    assert kedai_owner not in acme and kedai_invitation == 2  # numbers only Kedai has given
    owner = owner_client(client_for)
    _invite(owner, email="acme-own@example.com")  # Acme's invitation 1
    token = csrf_from(owner.get("/console/team").text)
    assert owner.get(f"/console/team/members/{kedai_owner}/remove").status_code == 404
    for path, data in {
        f"/console/team/members/{kedai_owner}/remove": {},
        f"/console/team/members/{kedai_owner}/role": {"role": "agent"},
        f"/console/team/invitations/{kedai_invitation}/revoke": {},
        "/console/team/members/99999999999/remove": {},
        "/console/team/invitations/99999999999/revoke": {},
    }.items():
        assert owner.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    member = _member(app, "co-owner@kedaihosting.test", "kedai")
    assert member.role == TeamRole.OWNER and member.removed_at is None
    with app.app_context():
        assert db.session.scalars(select(TeamInvitation.revoked_at)).all() == [None, None, None]


def test_names_are_shown_as_text(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    hostile = '<script>alert(1)</script> "><img src=x onerror=alert(1)> {{7*7}}'
    assert _invite(owner, name=hostile).status_code == 303
    page = owner.get("/console/team").text
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page and "{{7*7}}" in page
    [message] = outbox(app, kind="team_invitation")
    assert "<script>" not in message.html_body and "{{7*7}}" in message.text_body


def test_htmx_gets_the_team_section(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    token = csrf_from(owner.get("/console/team").text)
    headers = {"HX-Request": "true"}
    sent = owner.post(
        "/console/team/invite",
        data={"name": "Nadia", "email": "nadia@example.com", "role": "agent", "csrf_token": token},
        headers=headers,
    )
    assert sent.status_code == 200 and sent.text.lstrip().startswith('<section id="team"')
    assert "Invitation sent to nadia@example.com." in sent.text and "<html" not in sent.text
    refused = owner.post(
        "/console/team/invite",
        data={"name": "Nadia", "email": "bad", "role": "agent", "csrf_token": token},
        headers=headers,
    )
    assert refused.status_code == 200 and "Please enter a valid email address." in refused.text
    assert _count(app, TeamInvitation) == 1


def test_acceptance_is_rate_limited_per_client_address(app, demo, client_for) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_ADDRESS"] = "2 per minute"
    client = client_for(ACME)
    statuses = [_accept(client, f"/console/invitations/guess{i}").status_code for i in range(3)]
    assert statuses == [404, 404, 429]


def test_team_page_queries_do_not_grow_with_the_team(app, demo, client_for, count_queries) -> None:
    owner = owner_client(client_for)
    acme = shop_id(app)

    def queries() -> int:
        owner.get("/console/team")
        with count_queries() as statements:
            assert owner.get("/console/team").status_code == 200
        return len(statements)

    def add(start: int, count: int) -> None:
        now = utcnow()
        with app.app_context():
            db.session.execute(
                insert(TeamMember),
                [
                    {
                        "reseller_id": acme,
                        "email": f"m{i}@example.com",
                        "name": f"Member {i}",
                        "role": "agent",
                        "password_hash": "x",
                        "auth_epoch": 0,
                        "created_at": now,
                    }
                    for i in range(start, start + count)
                ],
            )
            db.session.commit()

    few = queries()  # the demo's owner and agent
    add(0, 18)
    assert queries() == few
    page = owner.get("/console/team").text
    assert "m17@example.com" in page and page.count("Change role</button>") == 20


@pytest.mark.parametrize("page", ["abc", "-1", "0", "+2", "99999999999999999999", "\x00", "２"])
def test_a_team_page_that_cannot_be_read_shows_the_members(app, demo, client_for, page) -> None:
    answer = owner_client(client_for).get("/console/team", query_string={"page": page})
    assert answer.status_code == 200
    assert "owner@acme-hosting.test" in answer.text and "agent@acme-hosting.test" in answer.text
