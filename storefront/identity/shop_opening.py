"""Opening a shop and handing it to its owner: the shop's record (branding.shop_admin) and the
emailed invitation that makes its first owner, in one transaction, so a refused owner address
leaves no ownerless shop behind. Changing a shop's record later is here too, for the same callers:
the admin desk and ``storefront shops``. Every change is audited under the caller's name."""

from __future__ import annotations

from flask import current_app

from .. import audit
from ..addresses import InvalidEmail, normalise_email
from ..branding.shop_admin import ShopDraft, ShopError, change_shop, new_shop
from ..extensions import db
from ..models import Reseller
from .team import TeamError, invite_owner

__all__ = ["ShopDraft", "ShopError", "edit_shop", "invite_shop_owner", "open_shop"]


def open_shop(
    slug: str, draft: ShopDraft, owner_name: str, owner_email: str, actor: str, role: str
) -> Reseller:
    """Open a shop and email its owner an invitation to its console; commits, or changes nothing."""
    try:
        reseller = new_shop(slug, draft)
        audit.record(actor, role, reseller.id, f"reseller:{reseller.id}", "open_shop", reseller.slug)
        _invite(reseller, owner_name, owner_email, actor, role)
    except (ShopError, TeamError):
        db.session.rollback()
        raise
    db.session.commit()
    return reseller


def edit_shop(reseller: Reseller, slug: str, draft: ShopDraft, actor: str, role: str) -> list[str]:
    """Change a shop's slug and details; return what changed. Commits, or changes nothing."""
    try:
        changed = change_shop(reseller, slug, draft)
    except ShopError:
        db.session.rollback()
        raise
    if changed:
        audit.record(actor, role, reseller.id, f"reseller:{reseller.id}", "edit_shop", ", ".join(changed))
        db.session.commit()
    return changed


def invite_shop_owner(reseller: Reseller, name: str, email: str, actor: str, role: str) -> None:
    """Email another owner invitation (the first expired, or the owner changed); commits."""
    try:
        _invite(reseller, name, email, actor, role)
    except (ShopError, TeamError):
        db.session.rollback()
        raise
    db.session.commit()


def _invite(reseller: Reseller, name: str, email: str, actor: str, role: str) -> None:
    name = " ".join(name.split())
    if not name or len(name) > 120 or any(ord(char) < 32 for char in name):
        raise ShopError("Enter the owner's name (up to 120 characters).")
    try:
        email = normalise_email(email, allow_test_domains=current_app.config["EMAIL_ALLOW_TEST_DOMAINS"])
    except InvalidEmail as error:
        raise ShopError(f"Please enter a valid email address for the owner. {error}") from None
    invite_owner(reseller, name, email, actor, role)
