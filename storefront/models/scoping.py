"""One mechanism scopes every tenant-owned query to the current reseller.

A session bound to a reseller (``bind_tenant``) adds ``reseller_id = :current`` to
every ORM select, update and delete of a ``TenantScoped`` model, relationship loads
included, and refuses to flush a tenant row that belongs to another reseller.
"""

from __future__ import annotations

from functools import lru_cache
from weakref import WeakKeyDictionary

from sqlalchemy import Executable, event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.util import LoaderCriteriaOption

from .base import TenantScoped

TENANT_KEY = "tenant_reseller_id"
# Scoped copies kept per statement: a few shops each (a worker mostly serves a few at a time).
SCOPED_PER_STATEMENT = 32


class CrossTenantWrite(RuntimeError):
    """A flush tried to write a row of another reseller than the session's."""


def bind_tenant(session: Session, reseller_id: int | None) -> None:
    """Scope ``session`` to one reseller, or lift the scope with ``None``."""
    if reseller_id is None:
        session.info.pop(TENANT_KEY, None)
    else:
        session.info[TENANT_KEY] = reseller_id


def current_tenant(session: Session) -> int | None:
    """Return the reseller id ``session`` is scoped to, if any."""
    return session.info.get(TENANT_KEY)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    reseller_id = state.session.info.get(TENANT_KEY)
    if reseller_id is None or state.is_column_load:
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = _scoped(state.statement, reseller_id)


# A statement built once (at import, as most of the app's queries are) is scoped once per shop: a
# fresh copy each time would make SQLAlchemy work out the copy's cache key on every execution.
# Statements are immutable, so the copy stays right; one made for a single use is dropped with it.
_SCOPED: WeakKeyDictionary[Executable, dict[int, Executable]] = WeakKeyDictionary()


def _scoped(statement: Executable, reseller_id: int) -> Executable:
    """Return ``statement`` with the tenant criteria for one reseller, made once per statement and shop."""
    copies = _SCOPED.get(statement)
    if copies is None:
        copies = _SCOPED[statement] = {}
    scoped = copies.get(reseller_id)
    if scoped is None:
        if len(copies) >= SCOPED_PER_STATEMENT:
            copies.clear()
        scoped = copies[reseller_id] = statement.options(_tenant_criteria(reseller_id))
    return scoped


@lru_cache(maxsize=1024)
def _tenant_criteria(reseller_id: int) -> LoaderCriteriaOption:
    """The option scoping a statement to one reseller, built once per reseller (building it costs more
    than the query it goes into)."""
    return with_loader_criteria(
        TenantScoped,
        lambda cls: cls.reseller_id == reseller_id,
        include_aliases=True,
    )


@event.listens_for(Session, "before_flush")
def _refuse_cross_tenant_writes(session: Session, flush_context, instances) -> None:
    reseller_id = session.info.get(TENANT_KEY)
    if reseller_id is None:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, TenantScoped) and obj.reseller_id not in (None, reseller_id):
            raise CrossTenantWrite(f"{type(obj).__name__} belongs to another reseller")
