"""Shop numbers: orders, tickets, corrections, customers and the rest count per shop from 1

One counter table (shop_counter) replaces invoice_counter. Existing rows are numbered per shop
in id order, and each shop's counters continue after its highest number. Correction requests
name their record by the shop's number instead of the row id.

SQLite cannot make a new column NOT NULL without copying the table, and copying a table
other tables reference would fire their ON DELETE actions; there the column is added with a
placeholder default instead. Uniqueness is a unique index on both databases.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# table: its sequence in shop_counter
NUMBERED = {
    "customer": "customer",
    "team_member": "team_member",
    "team_invitation": "invitation",
    "domain": "domain",
    "order": "order",
    "invoice": "invoice",
    "service": "service",
    "ticket": "ticket",
    "correction_request": "correction",
}
# what a correction request may name, and the table that holds it
CORRECTION_RECORDS = {"invoice": "invoice", "order": "order", "service": "service"}


def _on_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _add_number(table: str) -> None:
    if _on_sqlite():
        op.add_column(table, sa.Column("number", sa.Integer(), nullable=False, server_default="0"))
    else:
        op.add_column(table, sa.Column("number", sa.Integer(), nullable=True))
    op.execute(
        f'UPDATE "{table}" SET number = numbered.n FROM ('
        f'SELECT id, ROW_NUMBER() OVER (PARTITION BY reseller_id ORDER BY id) AS n FROM "{table}"'
        f') AS numbered WHERE numbered.id = "{table}".id'
    )
    if not _on_sqlite():
        op.alter_column(table, "number", nullable=False)
    op.create_index(f"uq_{table}_reseller_id_number", table, ["reseller_id", "number"], unique=True)


def _start_counters(table: str, sequence: str) -> None:
    op.execute(
        "INSERT INTO shop_counter (reseller_id, name, next_number) "
        f"SELECT reseller_id, '{sequence}', MAX(number) + 1 FROM \"{table}\" GROUP BY reseller_id"
    )


def _rename_correction_records(source: str, target: str) -> None:
    """Rewrite ``kind:<source column>`` as ``kind:<target column>`` for each record kind."""
    for kind, table in CORRECTION_RECORDS.items():
        op.execute(
            f"UPDATE correction_request SET record = '{kind}:' || CAST(named.{target} AS VARCHAR(12)) "
            f'FROM "{table}" AS named '
            f"WHERE correction_request.reseller_id = named.reseller_id "
            f"AND correction_request.record = '{kind}:' || CAST(named.{source} AS VARCHAR(12))"
        )


def upgrade():
    op.create_table(
        "shop_counter",
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.CheckConstraint("next_number > 0", name=op.f("ck_shop_counter_next_number_positive")),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["reseller.id"],
            name=op.f("fk_shop_counter_reseller_id_reseller"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reseller_id", "name", name=op.f("pk_shop_counter")),
    )
    for table, sequence in NUMBERED.items():
        if table != "invoice":  # invoices were numbered per shop from the start
            _add_number(table)
            _start_counters(table, sequence)
    op.execute(
        "INSERT INTO shop_counter (reseller_id, name, next_number) "
        "SELECT reseller_id, 'invoice', next_number FROM invoice_counter"
    )
    op.drop_table("invoice_counter")
    _rename_correction_records("id", "number")


def downgrade():
    _rename_correction_records("number", "id")
    op.create_table(
        "invoice_counter",
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.CheckConstraint("next_number > 0", name=op.f("ck_invoice_counter_next_number_positive")),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["reseller.id"],
            name=op.f("fk_invoice_counter_reseller_id_reseller"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reseller_id", name=op.f("pk_invoice_counter")),
    )
    op.execute(
        "INSERT INTO invoice_counter (reseller_id, next_number) "
        "SELECT reseller_id, next_number FROM shop_counter WHERE name = 'invoice'"
    )
    for table in NUMBERED:
        if table == "invoice":
            continue
        op.drop_index(f"uq_{table}_reseller_id_number", table_name=table)
        if _on_sqlite():
            op.execute(f'ALTER TABLE "{table}" DROP COLUMN number')
        else:
            op.drop_column(table, "number")
    op.drop_table("shop_counter")
