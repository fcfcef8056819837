"""An index for the team's ticket inbox: a shop's tickets by status

Revision ID: 0015_inbox_index
Revises: 0014_plan_changes
Create Date: 2026-12-10 04:30:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0015_inbox_index"
down_revision = "0014_plan_changes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_reseller_status", ["reseller_id", "status"], unique=False)


def downgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_reseller_status")
