"""Flask-Login wiring: an identity is only valid on the host it was made for."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy import select

from .extensions import db, login_manager
from .models import Customer, StaffUser, TeamMember

IDENTITY_MODELS = {"customer": Customer, "team": TeamMember, "staff": StaffUser}


def load_identity(user_id: str) -> Customer | TeamMember | StaffUser | None:
    """Load a signed-in identity, refusing one from another shop or the wrong host."""
    kind, _, raw_id = user_id.partition(":")
    model = IDENTITY_MODELS.get(kind)
    if model is None or not raw_id.isdigit():
        return None
    on_staff_host = bool(g.get("is_staff_host"))
    if (model is StaffUser) != on_staff_host:
        return None
    # Tenant identities are loaded with a query so the tenant scope applies.
    return db.session.scalar(select(model).where(model.id == int(raw_id)))


def init_app(app: Flask) -> None:
    """Register the identity loader."""
    login_manager.user_loader(load_identity)
    login_manager.login_view = "staff.login"
    login_manager.login_message = "Please sign in to continue."
