"""Opening a shop and handing it to its owner: the shop's record (branding.shop_admin) and the
emailed invitation that makes its first owner, in one transaction, so a refused owner address
leaves no ownerless shop behind. Changing a shop's details later, and inviting an owner to a shop
that has none (the first invitation expired), are here too, for the same callers: the admin desk
and ``storefront shops``. Platform staff never make themselves a shop's owner: a shop with an
active owner takes no invitation from the desk, and an owner's name and address pass the
white-label guard. Every change is audited under the caller's name."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..addresses import InvalidEmail, normalise_email
from ..branding.shop_admin import ShopDraft, ShopError, change_shop, has_control_characters, new_shop
from ..branding.white_label import WhiteLabelError, check_white_label
from ..extensions import db
from ..models import Reseller, TeamMember, TeamRole
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
        db.session.commit()
    except (ShopError, TeamError):
        db.session.rollback()
        raise
    except IntegrityError:  # another request took the slug or the support address a moment ago
        db.session.rollback()
        raise ShopError("Another shop took that slug or support address just now. Choose another.") from None
    return reseller


def edit_shop(reseller: Reseller, draft: ShopDraft, actor: str, role: str) -> list[str]:
    """Change a shop's details; return the names of what changed. Commits, or changes nothing."""
    try:
        changed = change_shop(reseller, draft)
        if changed:
            described = "; ".join(f"{name}: {before!r} to {after!r}" for name, before, after in changed)
            audit.record(actor, role, reseller.id, f"reseller:{reseller.id}", "edit_shop", described)
            db.session.commit()
    except ShopError:
        db.session.rollback()
        raise
    except IntegrityError:
        db.session.rollback()
        raise ShopError("Another shop took that support address just now. Choose another.") from None
    return [name for name, _, _ in changed]


def invite_shop_owner(reseller: Reseller, name: str, email: str, actor: str, role: str) -> None:
    """Email an invitation to own a shop that has no active owner; commits."""
    owner = select(TeamMember.id).where(
        TeamMember.reseller_id == reseller.id,
        TeamMember.role == TeamRole.OWNER,
        TeamMember.removed_at.is_(None),
    )
    if db.session.scalar(owner.limit(1)) is not None:
        raise ShopError(f"{reseller.brand_name} has an owner, who invites the team from the shop's console.")
    try:
        _invite(reseller, name, email, actor, role)
    except (ShopError, TeamError):
        db.session.rollback()
        raise
    db.session.commit()


def _invite(reseller: Reseller, name: str, email: str, actor: str, role: str) -> None:
    name = " ".join(name.split())
    if not name or len(name) > 120 or has_control_characters(name):
        raise ShopError("Enter the owner's name (up to 120 characters).")
    try:
        email = normalise_email(email, allow_test_domains=current_app.config["EMAIL_ALLOW_TEST_DOMAINS"])
    except InvalidEmail as error:
        raise ShopError(f"Please enter a valid email address for the owner. {error}") from None
    try:
        check_white_label(name)
        check_white_label(email)  # the shop's owner is the reseller, never the platform's staff
    except WhiteLabelError as error:
        raise ShopError(f"The owner: {error}") from None
    invite_owner(reseller, name, email, actor, role)
