"""Shop numbers: every record a shop shows (orders, invoices, tickets, corrections, customers…)
counts from 1 in that shop, gapless, so no shop can read another's volume in its own numbers.

One counter row per shop and sequence is taken with a single upsert that locks it until the
transaction ends: concurrent inserts in one shop wait for each other, and a rollback gives the
number back. Rows take their number as they are inserted, whichever code path adds them.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import CheckConstraint, Connection, ForeignKey, Index, String, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Mapper, mapped_column

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


def next_number(connection: Connection, reseller_id: int, sequence: str) -> int:
    """Take the shop's next number of ``sequence``; its counter stays locked until the transaction ends."""
    table = ShopCounter.__table__
    upsert = _INSERTS[connection.dialect.name](table).values(
        reseller_id=reseller_id, name=sequence, next_number=2
    )
    taken = upsert.on_conflict_do_update(
        index_elements=[table.c.reseller_id, table.c.name],
        set_={"next_number": table.c.next_number + 1},
    ).returning(table.c.next_number)
    return connection.execute(taken).scalar_one() - 1


@event.listens_for(ShopNumbered, "before_insert", propagate=True)
def _take_shop_number(mapper: Mapper, connection: Connection, target: ShopNumbered) -> None:
    if target.number is None:
        target.number = next_number(connection, target.reseller_id, target.NUMBER_SEQUENCE)
