"""A shop's team: emailed invitations, accepting them, roles and removal; every change is audited.

An invitation's secret travels only in the email; the database keeps its SHA-256 hash.
A shop always keeps at least one active owner, and an owner never removes themselves.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..branding.links import shop_url
from ..branding.shops import ShopLike
from ..extensions import db
from ..mail.outbox import send_templated
from ..models import TeamInvitation, TeamMember, TeamRole, utcnow
from ..paging import PageCount, page_count
from . import second_factor

INVITATION_LIFETIME = timedelta(days=7)
# Open invitations are listed in full on the team page, so their number is bounded here.
MAX_OPEN_INVITATIONS = 50
PAGE_SIZE = 50


class TeamError(ValueError):
    """A team change the rules refuse; the message says why in plain words."""


@dataclass(frozen=True)
class TeamPage(PageCount):
    """A page of the shop's active members, and every open invitation."""

    per_page = PAGE_SIZE

    members: list[TeamMember]
    invitations: list[TeamInvitation]
    total: int
    page: int


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _actor(member: TeamMember) -> str:
    return f"team:{member.id}"


def _is_open(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The conditions of an invitation whose link still works."""
    return (
        TeamInvitation.accepted_at.is_(None),
        TeamInvitation.revoked_at.is_(None),
        TeamInvitation.expires_at > now,
    )


def team_page(shop: ShopLike, page: int, now: datetime) -> TeamPage:
    """Return a page of active members (by name) and the open invitations, in three queries."""
    active = (TeamMember.reseller_id == shop.id) & TeamMember.removed_at.is_(None)
    total = db.session.scalar(select(func.count()).select_from(TeamMember).where(active))
    page = min(max(page, 1), page_count(total, PAGE_SIZE))
    members = db.session.scalars(
        select(TeamMember)
        .where(active)
        .order_by(TeamMember.name, TeamMember.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    invitations = db.session.scalars(
        select(TeamInvitation)
        .where(TeamInvitation.reseller_id == shop.id, *_is_open(now))
        .order_by(TeamInvitation.created_at.desc(), TeamInvitation.id.desc())
    )
    return TeamPage(list(members), list(invitations), total, page)


def find_member(shop: ShopLike, number: int) -> TeamMember | None:
    """Return the shop's active member with this number in the shop, if any."""
    return db.session.scalar(
        select(TeamMember).where(
            TeamMember.reseller_id == shop.id, TeamMember.number == number, TeamMember.removed_at.is_(None)
        )
    )


def _member_by_email(shop: ShopLike, email: str) -> TeamMember | None:
    """Return the shop's member row for an email, removed or not: one row per address."""
    return db.session.scalar(
        select(TeamMember).where(TeamMember.reseller_id == shop.id, TeamMember.email == email)
    )


def invite(shop: ShopLike, inviter: TeamMember, name: str, email: str, role: TeamRole) -> TeamInvitation:
    """Email an invitation to join the team; an older open invitation to the same address stops working."""
    invitation = _open_invitation(shop, name, email, role, inviter)
    audit.record(
        _actor(inviter), inviter.role.value, shop.id, f"team_invitation:{invitation.id}", "invite", role.value
    )
    db.session.commit()
    return invitation


def invite_owner(shop: ShopLike, name: str, email: str, actor: str, actor_role: str) -> TeamInvitation:
    """Email a platform admin's invitation to own the shop, in the caller's transaction (the caller
    commits): how a new shop gets its first owner, or a shop whose invitation expired gets another."""
    invitation = _open_invitation(shop, name, email, TeamRole.OWNER, None)
    audit.record(
        actor, actor_role, shop.id, f"team_invitation:{invitation.id}", "invite", TeamRole.OWNER.value
    )
    return invitation


def _open_invitation(
    shop: ShopLike, name: str, email: str, role: TeamRole, inviter: TeamMember | None
) -> TeamInvitation:
    now = utcnow()
    existing = _member_by_email(shop, email)
    if existing is not None and existing.is_active:
        raise TeamError(f"{email} is already on the team.")
    _close_invitations(shop, email, now)
    open_count = db.session.scalar(
        select(func.count())
        .select_from(TeamInvitation)
        .where(TeamInvitation.reseller_id == shop.id, *_is_open(now))
    )
    if open_count >= MAX_OPEN_INVITATIONS:
        raise TeamError(f"There are already {open_count} open invitations. Withdraw some first.")
    token = secrets.token_urlsafe(32)
    invitation = TeamInvitation(
        reseller_id=shop.id,
        email=email,
        name=name,
        role=role,
        token_hash=_digest(token),
        invited_by_id=inviter.id if inviter else None,
        expires_at=now + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    _send_invitation(shop, invitation, inviter, token)
    return invitation


def _send_invitation(
    shop: ShopLike, invitation: TeamInvitation, inviter: TeamMember | None, token: str
) -> None:
    """The invitation email; without an inviter it tells a new owner their shop is ready."""
    expires = invitation.expires_at.astimezone(ZoneInfo(shop.timezone)).strftime("%-d %b %Y, %H:%M %Z")
    send_templated(
        shop,
        invitation.email,
        "team_invitation",
        about=None,
        invitee_name=invitation.name,
        inviter_name=inviter.name if inviter else "",
        role=invitation.role.value,
        accept_url=shop_url(shop, f"/console/invitations/{token}"),
        expires=expires,
    )


def _withdraw_invitations(shop: ShopLike, which: ColumnElement[bool], now: datetime) -> None:
    """Withdraw the shop's unanswered invitations that match ``which``, expired ones included."""
    db.session.execute(
        update(TeamInvitation)
        .where(
            TeamInvitation.reseller_id == shop.id,
            which,
            TeamInvitation.accepted_at.is_(None),
            TeamInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


def _close_invitations(shop: ShopLike, email: str, now: datetime) -> None:
    """Withdraw every open invitation to ``email`` at this shop."""
    _withdraw_invitations(shop, TeamInvitation.email == email, now)


def _withdraw_invitations_from(shop: ShopLike, member: TeamMember, now: datetime) -> None:
    """Withdraw every open invitation ``member`` sent: a removed member brings nobody in after them."""
    _withdraw_invitations(shop, TeamInvitation.invited_by_id == member.id, now)


def find_open_invitation(shop: ShopLike, token: str) -> TeamInvitation | None:
    """Return the shop's unused, unwithdrawn, unexpired invitation with this secret, if any."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(TeamInvitation).where(
            TeamInvitation.reseller_id == shop.id,
            TeamInvitation.token_hash == _digest(token),
            *_is_open(utcnow()),
        )
    )


def accept_invitation(shop: ShopLike, token: str, name: str, password: str) -> TeamMember | None:
    """Join the team with the invitation's role and a chosen password; None if the link is not live.

    The invitation is claimed with one conditional update, so two submissions make one member.
    A member removed earlier comes back on their old row, with the new password and role.
    """
    now = utcnow()
    invitation = find_open_invitation(shop, token)
    claimed = invitation is not None and _claim(invitation, now)
    member = _join(shop, invitation, name, password, now) if claimed else None
    if member is None:
        db.session.rollback()
        return None
    _close_invitations(shop, invitation.email, now)
    audit.record(_actor(member), member.role.value, shop.id, f"team_member:{member.id}", "join")
    db.session.commit()
    return member


def _claim(invitation: TeamInvitation, now: datetime) -> bool:
    """Mark the invitation accepted if it is still open; only one of two racing requests succeeds."""
    result = db.session.execute(
        update(TeamInvitation)
        .where(TeamInvitation.id == invitation.id, *_is_open(now))
        .values(accepted_at=now)
    )
    return result.rowcount == 1


def _join(
    shop: ShopLike, invitation: TeamInvitation, name: str, password: str, now: datetime
) -> TeamMember | None:
    member = _member_by_email(shop, invitation.email)
    if member is not None and member.is_active:
        return None
    if member is None:
        member = TeamMember(reseller_id=shop.id, email=invitation.email)
        db.session.add(member)
    member.name = name
    member.role = invitation.role
    member.removed_at = None
    member.created_at = now  # "member since" counts from joining (again)
    member.set_password(password)
    try:
        db.session.flush()
    except IntegrityError:  # the same address joined at the same moment
        return None
    return member


def revoke_invitation(shop: ShopLike, actor: TeamMember, number: int) -> TeamInvitation | None:
    """Withdraw an invitation (by its number in the shop) so its link stops working; None if there is none."""
    invitation = db.session.scalar(
        select(TeamInvitation).where(TeamInvitation.reseller_id == shop.id, TeamInvitation.number == number)
    )
    if invitation is None:
        return None
    if invitation.accepted_at is not None:
        raise TeamError(f"{invitation.email} has already accepted this invitation.")
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit.record(_actor(actor), actor.role.value, shop.id, f"team_invitation:{invitation.id}", "revoke")
    db.session.commit()
    return invitation


def _locked_owner_ids(shop: ShopLike) -> set[int]:
    """Return the active owners' ids, locking their rows so two owners cannot demote each other at once."""
    return set(
        db.session.scalars(
            select(TeamMember.id)
            .where(
                TeamMember.reseller_id == shop.id,
                TeamMember.role == TeamRole.OWNER,
                TeamMember.removed_at.is_(None),
            )
            .with_for_update()
        )
    )


def _keep_an_owner(shop: ShopLike, member: TeamMember) -> None:
    if member.role == TeamRole.OWNER and _locked_owner_ids(shop) <= {member.id}:
        raise TeamError(f"{member.name} is the only owner. Make someone else an owner first.")


def remove_member(shop: ShopLike, actor: TeamMember, member: TeamMember) -> None:
    """Take a member off the team and end all their sessions at once."""
    if member.id == actor.id:
        raise TeamError("You cannot remove yourself. Another owner can do it.")
    _keep_an_owner(shop, member)
    member.removed_at = now = utcnow()
    member.end_sessions()
    _withdraw_invitations_from(shop, member, now)
    audit.record(_actor(actor), actor.role.value, shop.id, f"team_member:{member.id}", "remove")
    db.session.commit()


def change_role(shop: ShopLike, actor: TeamMember, member: TeamMember, role: TeamRole) -> None:
    """Give a member another role; the shop's last owner stays an owner."""
    if member.role == role:
        return
    if role != TeamRole.OWNER:
        _keep_an_owner(shop, member)
    actor_role, change = actor.role.value, f"{member.role.value} to {role.value}"
    member.role = role
    audit.record(_actor(actor), actor_role, shop.id, f"team_member:{member.id}", "role", change)
    db.session.commit()


def reset_second_factor(shop: ShopLike, actor: TeamMember, member: TeamMember) -> None:
    """Take the second factor off a member who lost it, end their sessions and tell them, audited.

    Raises TeamError for one's own account and second_factor.NoSecondFactor when it is off.
    """
    if member.id == actor.id:
        raise TeamError(second_factor.OWN_RESET_REFUSED)
    second_factor.reset(member)
    audit.record(
        _actor(actor),
        actor.role.value,
        shop.id,
        f"team_member:{member.id}",
        "second_factor_reset",
        "key and recovery codes removed, sessions ended",
    )
    send_templated(
        shop,
        member.email,
        "team_second_factor_reset",
        about=None,
        member_name=member.name,
        owner_name=actor.name,
        security_url=shop_url(shop, "/console/security"),
    )
    db.session.commit()
