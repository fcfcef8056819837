"""Shared steps for the second-factor tests: set up TOTP through the pages, make codes, read the account."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from storefront.extensions import db
from storefront.identity.second_factor import STEP_SECONDS
from storefront.models import RecoveryCode, StaffUser, TeamMember
from tests.shop.helpers import csrf_from

WRONG = "That code is not right"


def account(app, model: type[StaffUser | TeamMember], email: str) -> StaffUser | TeamMember:
    """Return a detached copy of the account with ``email``."""
    with app.app_context():
        found = db.session.scalar(select(model).where(model.email == email))
        db.session.expunge_all()
        return found


def next_code(app, model: type[StaffUser | TeamMember], email: str) -> str:
    """The authenticator app's code for the first time step not used yet (current step or the one
    before; the step after when those were used), as a person entering codes one after another does."""
    found = account(app, model, email)
    current = int(time.time()) // STEP_SECONDS
    step = current - 1 if found.totp_last_step is None else max(found.totp_last_step + 1, current - 1)
    assert step <= current + 1, "no fresh code left in this time window"
    return pyotp.TOTP(found.totp_secret).generate_otp(step)


def enrol(app, client, model: type[StaffUser | TeamMember], email: str, area: str) -> list[str]:
    """Set up TOTP on the security page of ``area`` ("/staff" or "/console"); return the recovery codes."""
    token = csrf_from(client.get(f"{area}/security").text)
    started = client.post(f"{area}/security/totp/start", data={"csrf_token": token})
    assert started.status_code == 200 and "<svg" in started.text
    code = next_code(app, model, email)
    confirmed = client.post(f"{area}/security/totp/confirm", data={"code": code, "csrf_token": token})
    assert confirmed.status_code == 200 and "Store these recovery codes now" in confirmed.text
    return recovery_codes_on(confirmed.text)


def recovery_codes_on(html: str) -> list[str]:
    """The recovery codes a page shows."""
    return re.findall(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>", html)


def enter_code(client, area: str, code: str, follow_next: str = ""):
    """Enter a code on the sign-in code step."""
    token = csrf_from(client.get(f"{area}/login").text)
    return client.post(f"{area}/login/code{follow_next}", data={"code": code, "csrf_token": token})


def unused_recovery_codes(app, identity: str) -> int:
    """How many recovery codes of ``identity`` are still unused."""
    with app.app_context():
        rows = db.session.scalars(select(RecoveryCode).where(RecoveryCode.identity == identity)).all()
        return sum(1 for row in rows if row.used_at is None)
