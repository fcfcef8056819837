"""Emailed links are claimed with one conditional update: of ten racing posts of one link, one wins."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.identity.tokens import issue_token
from storefront.models import Customer, TeamMember, TokenPurpose
from tests.shop.helpers import csrf_from, link_in, outbox, post_form, sign_in
from tests.steps import invite_to_team

ACME = "acme.localhost"
RACERS = 10


def _race(client_for, path: str, data: dict, page: str | None = None) -> list:
    """POST ``data`` to ``path`` from RACERS clients sharing one session, all released at once."""
    first = client_for(ACME)
    token = csrf_from(first.get(page or path).text)
    cookie = first.get_cookie("session", domain="acme.localhost").value
    barrier, answers = threading.Barrier(RACERS), []

    def post() -> None:
        racer = client_for(ACME)
        racer.set_cookie("session", cookie, domain="acme.localhost")
        barrier.wait()
        answers.append(racer.post(path, data={**data, "csrf_token": token}))

    threads = [threading.Thread(target=post) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _reset_path(app) -> str:
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.email == "aisyah@example.com"))
        token = issue_token(customer, TokenPurpose.RESET_PASSWORD)
        db.session.commit()
    return f"/reset/{token}"


def _assert_one_winner(answers: list, won: int) -> None:
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == sorted([won] + [400] * (RACERS - 1)), statuses
    for answer in answers:
        if answer.status_code == 400:
            assert "This link no longer works" in answer.text


@pytest.mark.postgres
def test_ten_racing_posts_of_one_reset_link_change_the_password_once(app, demo, client_for) -> None:
    path = _reset_path(app)
    answers = _race(client_for, path, {"password": "the racing password", "confirm": "the racing password"})
    _assert_one_winner(answers, 302)
    assert sign_in(client_for(ACME), "aisyah@example.com", "the racing password").status_code == 302


@pytest.mark.postgres
def test_ten_racing_posts_of_one_verification_link_confirm_once(app, demo, client_for) -> None:
    form = {
        "name": "Siti",
        "email": "siti@example.com",
        "password": "a good long password",
        "privacy_notice": "y",
    }
    post_form(client_for(ACME), "/signup", form)
    path = urlsplit(link_in(outbox(app, kind="verify_email")[0], "/verify/")).path
    answers = _race(client_for, path, {})
    _assert_one_winner(answers, 303)
    with app.app_context():
        assert db.session.scalar(
            select(Customer.email_verified_at).where(Customer.email == "siti@example.com")
        )


@pytest.mark.postgres
def test_ten_racing_posts_of_one_invitation_make_one_member(app, demo, client_for) -> None:
    invite_to_team(client_for(ACME), "owner@acme-hosting.test", "new@example.com")
    path = urlsplit(link_in(outbox(app, kind="team_invitation")[0], "/console/invitations/")).path
    data = {"name": "New Person", "password": "a good long password", "confirm": "a good long password"}
    answers = _race(client_for, path, data)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [302] + [404] * (RACERS - 1), statuses
    with app.app_context():
        members = select(func.count()).select_from(TeamMember).where(TeamMember.email == "new@example.com")
        assert db.session.scalar(members) == 1
