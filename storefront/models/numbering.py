"""Shop numbers: every record a shop shows (orders, invoices, tickets, corrections, customers…)
counts from 1 in that shop, gapless, so no shop can read another's volume in its own numbers.

One counter row per shop and sequence is taken with a single upsert that locks it until the
transaction ends: concurrent inserts in one shop wait for each other, and a rollback gives the
number back. Rows take their number as they are inserted, whichever code path adds them: the
unit of work (one row at a time) or a bulk ``insert(Model)`` with a list of rows (a block each shop).
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from sqlalchemy import CheckConstraint, Connection, ForeignKey, Index, Result, String, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Mapper, ORMExecuteState, Session, mapped_column

from ..extensions import db
from .base import TenantScoped

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class ShopCounter(db.Model):
    """The next number of one of a shop's sequences (``order``, ``ticket``, ``invoice``…)."""

    __table_args__ = (CheckConstraint("next_number > 0", "next_number_positive"),)

    reseller_id: Mapped[int] = mapped_column(ForeignKey("reseller.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_number: Mapped[int] = mapped_column(default=1)


class ShopNumbered(TenantScoped):
    """A tenant row with the shop's own number; ``NUMBER_SEQUENCE`` names the counter it takes from.

    Each model also declares ``unique_number(<its table>)`` in its table arguments.
    """

    NUMBER_SEQUENCE: ClassVar[str]

    number: Mapped[int] = mapped_column()


def unique_number(table: str) -> Index:
    """The index that keeps a shop's numbers of one kind unique (an index, which SQLite can add in place)."""
    return Index(f"uq_{table}_reseller_id_number", "reseller_id", "number", unique=True)


def next_number(connection: Connection, reseller_id: int, sequence: str, count: int = 1) -> int:
    """Take the shop's next ``count`` numbers of ``sequence`` and return the first; the counter stays
    locked until the transaction ends."""
    table = ShopCounter.__table__
    upsert = _INSERTS[connection.dialect.name](table).values(
        reseller_id=reseller_id, name=sequence, next_number=1 + count
    )
    taken = upsert.on_conflict_do_update(
        index_elements=[table.c.reseller_id, table.c.name],
        set_={"next_number": table.c.next_number + count},
    ).returning(table.c.next_number)
    return connection.execute(taken).scalar_one() - count


@event.listens_for(ShopNumbered, "before_insert", propagate=True)
def _take_shop_number(mapper: Mapper, connection: Connection, target: ShopNumbered) -> None:
    if target.number is None:
        target.number = next_number(connection, target.reseller_id, target.NUMBER_SEQUENCE)


@event.listens_for(Session, "do_orm_execute")
def _number_bulk_inserts(state: ORMExecuteState) -> Result | None:
    """Give the rows of an ``insert(Model)`` executed with parameters their shop numbers, a block per
    shop (taken in shop order, so two bulk inserts never wait on each other crosswise), in row order."""
    mapper = state.bind_mapper
    if not state.is_insert or mapper is None or not issubclass(mapper.class_, ShopNumbered):
        return None
    rows = list(state.parameters) if state.is_executemany else [state.parameters or {}]
    if all(row.get("number") is not None for row in rows if "reseller_id" in row):
        return None
    sequence = mapper.class_.NUMBER_SEQUENCE
    connection = state.session.connection()
    wanted = Counter(row["reseller_id"] for row in rows if row.get("number") is None)
    start = {shop: next_number(connection, shop, sequence, count) for shop, count in sorted(wanted.items())}
    numbered = []
    for row in rows:
        if row.get("number") is None:
            numbered.append({"number": start[row["reseller_id"]]})
            start[row["reseller_id"]] += 1
        else:
            numbered.append({})
    return state.invoke_statement(params=numbered if state.is_executemany else numbered[0])
