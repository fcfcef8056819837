"""Credit notes, account credit, and refunds to make settled as account credit

Revision ID: 0013_credit
Revises: 0012_billing
Create Date: 2026-12-08 04:47:38.251016

Issued invoices keep every value: ``credit_applied_minor`` is a settlement field that starts at 0.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_credit"
down_revision = "0012_billing"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "credit_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("account_credit", "refund", name="creditoutcome", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("issued_by", sa.String(length=160), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("seller_name", sa.String(length=160), nullable=False),
        sa.Column("seller_address", sa.Text(), nullable=False),
        sa.Column("buyer_name", sa.String(length=120), nullable=False),
        sa.Column("buyer_email", sa.String(length=254), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "refund_method",
            sa.Enum("bank_transfer", "gateway", name="refundmethod", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("refund_reference", sa.String(length=120), nullable=True),
        sa.Column("refunded_by", sa.String(length=160), nullable=True),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(refunded_at IS NULL) OR (outcome = 'refund')",
            name=op.f("ck_credit_note_refund_recorded_only_for_refunds"),
        ),
        sa.CheckConstraint("total_minor > 0", name=op.f("ck_credit_note_total_positive")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_credit_note_customer_id_customer"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
            name=op.f("fk_credit_note_invoice_id_invoice"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["reseller.id"],
            name=op.f("fk_credit_note_reseller_id_reseller"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note")),
        sa.UniqueConstraint(
            "reseller_id", "idempotency_key", name=op.f("uq_credit_note_reseller_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("credit_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_note_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credit_note_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credit_note_reseller_id"), ["reseller_id"], unique=False)
        batch_op.create_index("uq_credit_note_reseller_id_number", ["reseller_id", "number"], unique=True)

    op.create_table(
        "account_credit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("balance_after_minor", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "credit_note",
                "overpayment",
                "adjustment",
                "invoice",
                name="creditsource",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.Column("refund_due_id", sa.Integer(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=160), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_account_credit_entry_amount_not_zero")),
        sa.CheckConstraint(
            "balance_after_minor >= 0", name=op.f("ck_account_credit_entry_balance_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_note.id"],
            name=op.f("fk_account_credit_entry_credit_note_id_credit_note"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_account_credit_entry_customer_id_customer"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
            name=op.f("fk_account_credit_entry_invoice_id_invoice"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["refund_due_id"],
            ["refund_due.id"],
            name=op.f("fk_account_credit_entry_refund_due_id_refund_due"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["reseller.id"],
            name=op.f("fk_account_credit_entry_reseller_id_reseller"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_credit_entry")),
        sa.UniqueConstraint("credit_note_id", name=op.f("uq_account_credit_entry_credit_note_id")),
        sa.UniqueConstraint("refund_due_id", name=op.f("uq_account_credit_entry_refund_due_id")),
    )
    with op.batch_alter_table("account_credit_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_credit_entry_customer", ["reseller_id", "customer_id", "currency", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_account_credit_entry_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_account_credit_entry_reseller_id"), ["reseller_id"], unique=False
        )

    op.create_table(
        "credit_note_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_note_id", sa.Integer(), nullable=False),
        sa.Column("invoice_line_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=400), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_credit_note_line_amount_positive")),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_note.id"],
            name=op.f("fk_credit_note_line_credit_note_id_credit_note"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_line_id"],
            ["invoice_line.id"],
            name=op.f("fk_credit_note_line_invoice_line_id_invoice_line"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["reseller.id"],
            name=op.f("fk_credit_note_line_reseller_id_reseller"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note_line")),
        sa.UniqueConstraint(
            "credit_note_id",
            "invoice_line_id",
            name=op.f("uq_credit_note_line_credit_note_id_invoice_line_id"),
        ),
    )
    with op.batch_alter_table("credit_note_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_note_line_credit_note_id"), ["credit_note_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_note_line_invoice_line_id"), ["invoice_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_credit_note_line_reseller_id"), ["reseller_id"], unique=False)

    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("credit_applied_minor", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(
            "credit_applied_within_total", "credit_applied_minor >= 0 AND credit_applied_minor <= total_minor"
        )

    with op.batch_alter_table("refund_due", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credited_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint("refunded_or_credited", "refunded_at IS NULL OR credited_at IS NULL")


def downgrade():
    with op.batch_alter_table("refund_due", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_refund_due_refunded_or_credited"), type_="check")
        batch_op.drop_column("credited_at")

    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoice_credit_applied_within_total"), type_="check")
        batch_op.drop_column("credit_applied_minor")

    with op.batch_alter_table("credit_note_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_note_line_reseller_id"))
        batch_op.drop_index(batch_op.f("ix_credit_note_line_invoice_line_id"))
        batch_op.drop_index(batch_op.f("ix_credit_note_line_credit_note_id"))

    op.drop_table("credit_note_line")
    with op.batch_alter_table("account_credit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_credit_entry_reseller_id"))
        batch_op.drop_index(batch_op.f("ix_account_credit_entry_invoice_id"))
        batch_op.drop_index("ix_account_credit_entry_customer")

    op.drop_table("account_credit_entry")
    with op.batch_alter_table("credit_note", schema=None) as batch_op:
        batch_op.drop_index("uq_credit_note_reseller_id_number")
        batch_op.drop_index(batch_op.f("ix_credit_note_reseller_id"))
        batch_op.drop_index(batch_op.f("ix_credit_note_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_credit_note_customer_id"))

    op.drop_table("credit_note")
