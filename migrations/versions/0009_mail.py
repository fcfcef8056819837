"""Inbound mail identity: sender authentication, reused Message-IDs kept, held mail dismissed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:00:00.000000

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("inbound_email", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("sender_authenticated", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("authentication", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True))

    # Messages stored before keep an empty content hash: a later copy with their Message-ID
    # counts as the same message (see storefront/support/inbound/intake.py).
    inbound = sa.table("inbound_email", sa.column("id", sa.Integer), sa.column("token", sa.String))
    connection = op.get_bind()
    for (row_id,) in connection.execute(sa.select(inbound.c.id)).all():
        token = secrets.token_urlsafe(16)
        connection.execute(sa.update(inbound).where(inbound.c.id == row_id).values(token=token))

    with op.batch_alter_table("inbound_email", schema=None) as batch_op:
        batch_op.alter_column("token", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_constraint("uq_inbound_email_message_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_inbound_email_message_id_content_hash", ["message_id", "content_hash"]
        )
        batch_op.create_unique_constraint("uq_inbound_email_token", ["token"])
        batch_op.create_index("ix_inbound_email_message_id", ["message_id"], unique=False)
        batch_op.create_index(
            "ix_inbound_email_held", ["reseller_id", "outcome", "dismissed_at"], unique=False
        )

    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sender_unverified", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("sender_unverified")

    # Only the first copy of each Message-ID can stay under the old unique constraint.
    op.execute(
        "DELETE FROM inbound_email WHERE id NOT IN "
        "(SELECT MIN(id) FROM inbound_email GROUP BY message_id)"
    )
    with op.batch_alter_table("inbound_email", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_email_held")
        batch_op.drop_index("ix_inbound_email_message_id")
        batch_op.drop_constraint("uq_inbound_email_token", type_="unique")
        batch_op.drop_constraint("uq_inbound_email_message_id_content_hash", type_="unique")
        batch_op.create_unique_constraint("uq_inbound_email_message_id", ["message_id"])
        batch_op.drop_column("dismissed_at")
        batch_op.drop_column("authentication")
        batch_op.drop_column("sender_authenticated")
        batch_op.drop_column("content_hash")
        batch_op.drop_column("token")
