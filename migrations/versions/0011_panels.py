"""Panels: sales by month for the console home, and an index for its unpaid invoices

Revision ID: 0011_panels
Revises: 0010
Create Date: 2026-12-08 02:10:00

"""

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_panels"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    sales_month = op.create_table(
        "sales_month",
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("invoices", sa.Integer(), nullable=False),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name=op.f("ck_sales_month_month_range")),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_sales_month_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["reseller.id"],
            name=op.f("fk_sales_month_reseller_id_reseller"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reseller_id", "year", "month", "currency", name=op.f("pk_sales_month")),
    )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoice_reseller_status", ["reseller_id", "status", "currency", "total_minor"], unique=False
        )
    _count_invoices_already_paid(sales_month)


def _count_invoices_already_paid(sales_month) -> None:
    """Sum the invoices paid before this revision into their shop's months, in the shop's time zone."""
    connection = op.get_bind()
    zones = {
        shop: ZoneInfo(zone)
        for shop, zone in connection.execute(sa.text("SELECT id, timezone FROM reseller"))
    }
    amounts, counts = Counter(), Counter()
    paid = connection.execute(
        sa.text(
            "SELECT reseller_id, paid_at, currency, total_minor FROM invoice WHERE status = 'paid' AND paid_at IS NOT NULL"
        )
    )
    for shop, paid_at, currency, total in paid:
        if isinstance(paid_at, str):
            paid_at = datetime.fromisoformat(paid_at)
        if paid_at.tzinfo is None:
            paid_at = paid_at.replace(tzinfo=UTC)
        local = paid_at.astimezone(zones[shop])
        key = (shop, local.year, local.month, currency)
        amounts[key] += total
        counts[key] += 1
    if amounts:
        op.bulk_insert(
            sales_month,
            [
                {
                    "reseller_id": shop,
                    "year": year,
                    "month": month,
                    "currency": currency,
                    "amount_minor": amount,
                    "invoices": counts[shop, year, month, currency],
                }
                for (shop, year, month, currency), amount in amounts.items()
            ],
        )


def downgrade():
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_reseller_status")
    op.drop_table("sales_month")
