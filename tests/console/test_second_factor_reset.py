"""An owner resets the second factor of a team member who lost both their phone and their recovery codes."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from storefront.extensions import db
from storefront.models import AuditEntry, TeamMember
from tests.leakguard import find_leaks, response_texts
from tests.second_factor_steps import account, enrol, unused_recovery_codes
from tests.shop.helpers import csrf_from, outbox
from tests.steps import owner_client, team_sign_in

ACME = "acme.localhost"
KEDAI = "kedai.localhost"
OWNER = "owner@acme-hosting.test"
AGENT = "agent@acme-hosting.test"
KEDAI_OWNER = "owner@kedaihosting.test"
OWN_PAGE = "Use your own security page"


def _enrolled(app, client_for, email: str = AGENT, host: str = ACME):
    """A team member with TOTP on, still signed in; return their client and their row."""
    client = client_for(host)
    team_sign_in(client, email)
    enrol(app, client, TeamMember, email, "/console")
    return client, account(app, TeamMember, email)


def _reset(client, member: TeamMember, *, token: bool = True, htmx: bool = False):
    data = {"csrf_token": csrf_from(client.get("/console/security").text)} if token else {}
    headers = {"HX-Request": "true"} if htmx else {}
    path = f"/console/team/members/{member.number}/second-factor/reset"
    return client.post(path, data=data, headers=headers)


def _signed_in(client) -> bool:
    return client.get("/console/security").status_code == 200


def _resets(app) -> list[tuple[str, str, str, int]]:
    with app.app_context():
        columns = (AuditEntry.actor, AuditEntry.actor_role, AuditEntry.record, AuditEntry.reseller_id)
        query = select(*columns).where(AuditEntry.action == "second_factor_reset")
        return [tuple(row) for row in db.session.execute(query)]


def test_an_owner_resets_an_agents_second_factor(app, demo, client_for) -> None:
    agent, member = _enrolled(app, client_for)
    agent_id = member.id
    owner = owner_client(client_for)
    listed = owner.get("/console/team")
    assert "Second factor" in listed.text
    assert f"/console/team/members/{member.number}/second-factor/reset" in listed.text
    assert not find_leaks(app.config, *response_texts(listed))

    done = _reset(owner, member)
    assert done.status_code == 303 and done.location == "/console/team"
    page = owner.get(done.location).text
    assert "The second factor of" in page and "is reset and they are signed out." in page
    assert f"/console/team/members/{member.number}/second-factor/reset" not in page

    found = account(app, TeamMember, AGENT)
    assert not found.has_second_factor and found.totp_secret is None and found.totp_last_step is None
    assert unused_recovery_codes(app, f"team:{agent_id}") == 0
    assert not _signed_in(agent)  # the old session ended
    again = client_for(ACME)
    assert team_sign_in(again, AGENT).location != "/console/login/code"  # the password alone
    assert _signed_in(again)
    owner_id = account(app, TeamMember, OWNER).id
    assert _resets(app) == [(f"team:{owner_id}", "owner", f"team_member:{agent_id}", found.reseller_id)]
    [told] = outbox(app, to=AGENT, kind="team_second_factor_reset")
    assert "Acme Hosting" in told.from_address and told.to_address == AGENT
    assert "/console/security" in told.text_body and "signed out everywhere" in told.text_body
    assert not find_leaks(app.config, told.subject, told.text_body, told.html_body)


def test_the_team_list_shows_who_has_a_second_factor(app, demo, client_for) -> None:
    _enrolled(app, client_for)
    page = owner_client(client_for).get("/console/team").text
    agent_row = page[page.index(AGENT) :].split("</tr>")[0]
    owner_row = page[page.index(OWNER) :].split("</tr>")[0]
    assert re.search(r">\s*On\s*<", agent_row) and "Reset" in agent_row
    assert '<span class="badge">Off</span>' in owner_row and "second-factor/reset" not in owner_row


def test_with_htmx_the_team_section_comes_back_with_the_notice(app, demo, client_for) -> None:
    _, member = _enrolled(app, client_for)
    done = _reset(owner_client(client_for), member, htmx=True)
    assert done.status_code == 200 and '<section id="team"' in done.text and "<html" not in done.text
    assert "is reset and they are signed out." in done.text
    assert not account(app, TeamMember, AGENT).has_second_factor


def test_an_owner_cannot_reset_their_own_second_factor_here(app, demo, client_for) -> None:
    owner, member = _enrolled(app, client_for, OWNER)
    owner_id = member.id
    assert f"/console/team/members/{member.number}/second-factor/reset" not in owner.get("/console/team").text
    refused = _reset(owner, member)
    assert refused.status_code == 400 and OWN_PAGE in refused.text
    assert account(app, TeamMember, OWNER).has_second_factor and _signed_in(owner)
    assert unused_recovery_codes(app, f"team:{owner_id}") == 10 and _resets(app) == []


def test_an_agent_may_not_reset(app, demo, client_for) -> None:
    owner, member = _enrolled(app, client_for, OWNER)
    agent = client_for(ACME)
    team_sign_in(agent, AGENT)
    assert _reset(agent, member).status_code == 403
    assert account(app, TeamMember, OWNER).has_second_factor and _signed_in(owner)


def test_a_member_without_a_second_factor_has_nothing_to_reset(app, demo, client_for) -> None:
    refused = _reset(owner_client(client_for), account(app, TeamMember, AGENT))
    assert refused.status_code == 409
    assert "has no second factor on, so there is nothing to reset." in refused.text
    assert _resets(app) == []


def test_another_shops_member_is_not_found(app, demo, client_for) -> None:
    kedai, member = _enrolled(app, client_for, KEDAI_OWNER, KEDAI)
    with app.app_context():  # a number Acme has not given: Acme's members are 1 and 2
        db.session.execute(update(TeamMember).where(TeamMember.id == member.id).values(number=9))
        db.session.commit()
    member.number = 9
    assert _reset(owner_client(client_for), member).status_code == 404
    assert account(app, TeamMember, KEDAI_OWNER).has_second_factor and _signed_in(kedai)
    assert _resets(app) == []


def test_a_reset_without_its_form_token_changes_nothing(app, demo, client_for) -> None:
    agent, member = _enrolled(app, client_for)
    assert _reset(owner_client(client_for), member, token=False).status_code == 400
    assert account(app, TeamMember, AGENT).has_second_factor and _signed_in(agent)
