"""The audit log: every staff and team access to a customer's data, append-only."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from ..extensions import db
from .base import Timestamped


class AuditEntry(Timestamped, db.Model):
    """Who (and in what role) did what to which record of which shop, why, in which request."""

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(60))  # staff:<id>, team:<id>, customer:<id>, system
    actor_role: Mapped[str] = mapped_column(String(40), default="")
    reseller_id: Mapped[int | None] = mapped_column(
        ForeignKey("reseller.id", ondelete="SET NULL"), index=True
    )
    record: Mapped[str] = mapped_column(String(60))  # ticket:<id>, customer:<id>
    # Whose personal data the entry is about, when it is about one customer's.
    customer_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(300), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or delete an audit entry."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, flush_context, instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry):
            raise AuditLogIsAppendOnly("audit entries are never changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state: ORMExecuteState) -> None:
    """Refuse UPDATE and DELETE statements run on the audit log through a session (they skip the flush)."""
    if not (state.is_update or state.is_delete):
        return
    if state.statement.table.name == AuditEntry.__tablename__:
        raise AuditLogIsAppendOnly("audit entries are never changed or deleted")
