"""Records that never change once issued (invoices, credit notes): only their settlement fields may
change afterwards, and their personal fields when retention reduces them; neither they nor their lines
are ever deleted. Each kind registers its record, line and error with ``guard_issued``."""

from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session


def guard_issued(record: type, line: type, error: type[Exception], noun: str, parent_key: str) -> None:
    """Refuse, before any flush, changes to an issued ``record`` beyond its ``SETTLEMENT_FIELDS`` (and
    its ``PERSONAL_FIELDS`` while it is anonymised), any change to one of its lines, and deletions."""

    @event.listens_for(Session, "before_flush")
    def _refuse_changes(session: Session, flush_context, instances) -> None:
        for obj in session.dirty:
            if isinstance(obj, record):
                changed = {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()}
                allowed = record.SETTLEMENT_FIELDS | {"lines"}
                if obj.anonymised_at is not None and "anonymised_at" in changed:
                    allowed = allowed | record.PERSONAL_FIELDS
                if changed - allowed:
                    raise error(f"{noun} {obj.number}: {sorted(changed)}")
            elif (
                isinstance(obj, line)
                and inspect(obj).attrs
                and any(attr.history.has_changes() for attr in inspect(obj).attrs)
            ):
                raise error(f"a line of {noun} {getattr(obj, parent_key)}")
        for obj in session.deleted:
            if isinstance(obj, record | line):
                raise error(f"issued {noun}s and their lines are never deleted")
