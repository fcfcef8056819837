"""Every change to what a shop's public pages show bumps that shop's revision.

The page cache keys on ``Reseller.revision``, so a flush that touches a shop's brand,
offers or prices, or any plan of the platform's catalogue, makes the next request
render afresh in every worker.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from .catalog import Offer, OfferPrice, Plan, PlanPrice
from .reseller import Domain, Nameserver, Reseller

SHOP_CONTENT = (Offer, OfferPrice, Domain, Nameserver)
PLATFORM_CONTENT = (Plan, PlanPrice)
PENDING = "revision_bumps"


@event.listens_for(Session, "before_flush")
def _collect_revision_bumps(session: Session, flush_context, instances) -> None:
    pending: set[int | None] = session.info.setdefault(PENDING, set())
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Reseller) and obj.id is not None:
            pending.add(obj.id)
        elif isinstance(obj, SHOP_CONTENT):
            pending.add(obj.reseller_id)
        elif isinstance(obj, PLATFORM_CONTENT):
            pending.add(None)  # every shop shows the platform's plans


@event.listens_for(Session, "after_flush")
def _apply_revision_bumps(session: Session, flush_context) -> None:
    pending: set[int | None] = session.info.pop(PENDING, set())
    if not pending:
        return
    table = Reseller.__table__
    statement = update(table).values(revision=table.c.revision + 1)
    if None not in pending:
        statement = statement.where(table.c.id.in_(pending))
    session.connection().execute(statement)
