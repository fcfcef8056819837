"""Plan changes: an invoice for an upgrade's prorated difference, its target plan and price, one open per
service; a service's history records the plan change a paid invoice made once; account credit from a
move to a cheaper plan

Revision ID: 0014_plan_changes
Revises: 0013_credit
Create Date: 2026-12-09 03:10:00.000000

Existing invoices are orders or renewals and keep every value; the new columns start empty.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_plan_changes"
down_revision = "0013_credit"
branch_labels = None
depends_on = None

OLD_SUBJECT = (
    "(purpose = 'order' AND order_id IS NOT NULL) OR (purpose = 'renewal' AND service_id IS NOT NULL"
    " AND period_start IS NOT NULL AND period_end IS NOT NULL)"
)
NEW_SUBJECT = (
    OLD_SUBJECT + " OR (purpose = 'plan_change'"
    " AND service_id IS NOT NULL AND period_start IS NOT NULL AND period_end IS NOT NULL"
    " AND target_plan_id IS NOT NULL AND target_recurring_minor IS NOT NULL)"
)
OPEN_PLAN_CHANGE = "purpose = 'plan_change' AND status = 'issued'"


def upgrade():
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_plan_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("target_recurring_minor", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_invoice_target_plan_id_plan"), "plan", ["target_plan_id"], ["id"], ondelete="RESTRICT"
        )
        batch_op.drop_constraint(batch_op.f("ck_invoice_purpose_has_subject"), type_="check")
        batch_op.create_check_constraint("purpose_has_subject", NEW_SUBJECT)
        batch_op.create_check_constraint("target_recurring_not_negative", "target_recurring_minor >= 0")
        batch_op.create_index(
            "uq_invoice_open_plan_change",
            ["service_id"],
            unique=True,
            sqlite_where=sa.text(OPEN_PLAN_CHANGE),
            postgresql_where=sa.text(OPEN_PLAN_CHANGE),
        )
    with op.batch_alter_table("service_event", schema=None) as batch_op:
        batch_op.create_index(
            "uq_service_event_plan_changed_invoice",
            ["invoice_id"],
            unique=True,
            sqlite_where=sa.text("what = 'plan_changed'"),
            postgresql_where=sa.text("what = 'plan_changed'"),
        )


def downgrade():
    with op.batch_alter_table("service_event", schema=None) as batch_op:
        batch_op.drop_index("uq_service_event_plan_changed_invoice")
    held = op.get_bind().scalar(sa.text("SELECT count(*) FROM invoice WHERE purpose = 'plan_change'"))
    if held:
        raise RuntimeError(f"{held} plan-change invoices are issued: invoices are never removed, so this stays")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index("uq_invoice_open_plan_change")
        batch_op.drop_constraint(batch_op.f("ck_invoice_target_recurring_not_negative"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_invoice_purpose_has_subject"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_invoice_target_plan_id_plan"), type_="foreignkey")
        batch_op.drop_column("target_recurring_minor")
        batch_op.drop_column("target_plan_id")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_check_constraint("purpose_has_subject", OLD_SUBJECT)
