"""The console home's unpaid invoices count what is still owed: the index that sums them carries the
account credit applied too

Revision ID: 0016_unpaid_owed
Revises: 0015_inbox_index
Create Date: 2026-12-08 07:00:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0016_unpaid_owed"
down_revision = "0015_inbox_index"
branch_labels = None
depends_on = None

OLD = ["reseller_id", "status", "currency", "total_minor"]
NEW = [*OLD, "credit_applied_minor"]


def upgrade():
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_reseller_status")
        batch_op.create_index("ix_invoice_reseller_status", NEW, unique=False)


def downgrade():
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_reseller_status")
        batch_op.create_index("ix_invoice_reseller_status", OLD, unique=False)
