"""Flask-Login wiring: an identity is only valid on the host it was made for."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy import bindparam, select

from ..extensions import db, login_manager
from ..models import Customer, StaffUser, TeamMember
from ..whole_numbers import whole_number

IDENTITY_MODELS = {"customer": Customer, "team": TeamMember, "staff": StaffUser}
# Built once: every signed-in request runs one of these, and building it costs more than running it.
IDENTITY_QUERIES = {
    model: select(model).where(model.id == bindparam("identity_id"), model.auth_epoch == bindparam("epoch"))
    for model in IDENTITY_MODELS.values()
}


def load_identity(user_id: str) -> Customer | TeamMember | StaffUser | None:
    """Load a signed-in identity, refusing one from another shop, the wrong host or an ended session."""
    kind, raw_id, raw_epoch = (user_id.split(":") + ["", ""])[:3]
    model = IDENTITY_MODELS.get(kind)
    identity_id, epoch = whole_number(raw_id), whole_number(raw_epoch)
    if model is None or identity_id is None or epoch is None or user_id.count(":") != 2:
        return None
    if (model is StaffUser) != bool(g.get("is_staff_host")):
        return None
    # A query, not Session.get: the tenant scope applies to queries.
    identity = db.session.scalar(IDENTITY_QUERIES[model], {"identity_id": identity_id, "epoch": epoch})
    return identity if identity is not None and identity.is_active else None


def init_app(app: Flask) -> None:
    """Register the identity loader."""
    login_manager.user_loader(load_identity)
    login_manager.blueprint_login_views = {
        "staff": "staff.login",
        "shop": "shop.login",
        "console": "console.login",
    }
    login_manager.login_message = "Please sign in to continue."
