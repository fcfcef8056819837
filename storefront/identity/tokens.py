"""Emailed one-time tokens: random, stored hashed, short-lived, single-use, per shop."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from ..extensions import db
from ..models import AccountToken, Customer, TokenPurpose, utcnow

LIFETIMES = {
    TokenPurpose.VERIFY_EMAIL: timedelta(days=2),
    TokenPurpose.RESET_PASSWORD: timedelta(hours=1),
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(customer: Customer, purpose: TokenPurpose) -> str:
    """Create a token for a customer and return its secret, which is never stored."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            reseller_id=customer.reseller_id,
            customer_id=customer.id,
            purpose=purpose,
            token_hash=_digest(token),
            expires_at=utcnow() + LIFETIMES[purpose],
        )
    )
    return token


def _live(reseller_id: int, token: str, purpose: TokenPurpose) -> tuple:
    """The conditions of an unused, unexpired token of the shop with this secret and purpose."""
    return (
        AccountToken.reseller_id == reseller_id,
        AccountToken.token_hash == _digest(token),
        AccountToken.purpose == purpose,
        AccountToken.used_at.is_(None),
        AccountToken.expires_at > utcnow(),
    )


def _plausible(token: str) -> bool:
    return bool(token) and len(token) <= 100


def find_live_token(reseller_id: int, token: str, purpose: TokenPurpose) -> AccountToken | None:
    """Return the shop's unused, unexpired token with this secret and purpose, if any."""
    if not _plausible(token):
        return None
    return db.session.scalar(select(AccountToken).where(*_live(reseller_id, token, purpose)))


def consume_token(reseller_id: int, token: str, purpose: TokenPurpose) -> Customer | None:
    """Use up a live token and return its customer; None if it is unknown, used or expired.

    One conditional update claims it, so of several requests racing with one link exactly one
    gets the customer; the caller's commit (or rollback) ends the claim.
    """
    if not _plausible(token):
        return None
    claimed = db.session.execute(
        update(AccountToken)
        .where(*_live(reseller_id, token, purpose))
        .values(used_at=utcnow())
        .returning(AccountToken.customer_id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return None if claimed is None else db.session.get(Customer, claimed)


def revoke_tokens(customer: Customer, purpose: TokenPurpose | None = None) -> None:
    """Use up the customer's open tokens (of one purpose, or all), so older links stop working."""
    query = update(AccountToken).where(
        AccountToken.customer_id == customer.id, AccountToken.used_at.is_(None)
    )
    if purpose is not None:
        query = query.where(AccountToken.purpose == purpose)
    db.session.execute(query.values(used_at=utcnow()))
