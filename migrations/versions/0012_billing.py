"""Billing: a service's life and history, renewal invoices, billing notices and each shop's schedule

Also: wholesale charges for renewals, and refunds owed without a gateway event.

Revision ID: 0012_billing
Revises: 0011_panels
Create Date: 2026-12-08 05:00:00

"""

import calendar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_billing"
down_revision = "0011_panels"
branch_labels = None
depends_on = None

STATUS = sa.Enum(
    "pending",
    "active",
    "suspended",
    "cancelled",
    "terminated",
    name="servicestatus",
    native_enum=False,
    length=16,
)
CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "annually": 12}


def upgrade():
    _reseller_schedule()
    _service_life()
    _invoice_purpose()
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invoice_line_id", sa.Integer(), nullable=True))
        batch_op.alter_column("order_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("order_line_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(batch_op.f("uq_ledger_entry_invoice_line_id"), ["invoice_line_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_ledger_entry_invoice_line_id_invoice_line"),
            "invoice_line",
            ["invoice_line_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_check_constraint(
            "charge_has_line", "order_line_id IS NOT NULL OR invoice_line_id IS NOT NULL"
        )
    with op.batch_alter_table("refund_due", schema=None) as batch_op:
        batch_op.alter_column("event_id", existing_type=sa.String(length=120), nullable=True)
        batch_op.create_index(
            "uq_refund_due_invoice_without_event",
            ["invoice_id"],
            unique=True,
            sqlite_where=sa.text("event_id IS NULL"),
            postgresql_where=sa.text("event_id IS NULL"),
        )
    _service_events()
    _billing_notices()
    _date_services_already_paid()


def _reseller_schedule() -> None:
    with op.batch_alter_table("reseller", schema=None) as batch_op:
        for name, default in (
            ("renewal_days_before", "14"),
            ("suspend_after_days", "5"),
            ("termination_warning_days", "7"),
            ("terminate_after_days", "30"),
            ("cancel_unpaid_after_days", "7"),
        ):
            batch_op.add_column(
                sa.Column(name, sa.Integer(), server_default=sa.text(default), nullable=False)
            )
        batch_op.add_column(
            sa.Column("reminder_days", sa.JSON(), server_default=sa.text("'[-7, 0, 3, 7]'"), nullable=False)
        )
        batch_op.create_check_constraint("renewal_days_range", "renewal_days_before BETWEEN 1 AND 60")
        batch_op.create_check_constraint("suspend_after_range", "suspend_after_days BETWEEN 1 AND 60")
        batch_op.create_check_constraint("terminate_after_range", "terminate_after_days BETWEEN 2 AND 365")
        batch_op.create_check_constraint(
            "terminate_after_suspend", "terminate_after_days > suspend_after_days"
        )
        batch_op.create_check_constraint(
            "termination_warning_range", "termination_warning_days BETWEEN 1 AND terminate_after_days - 1"
        )
        batch_op.create_check_constraint("cancel_unpaid_range", "cancel_unpaid_after_days BETWEEN 1 AND 90")


def _service_life() -> None:
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("anchor_day", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("recurring_minor", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
        batch_op.add_column(
            sa.Column("auto_renew", sa.Boolean(), server_default=sa.text("true"), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "suspension_reason",
                sa.Enum("overdue", "staff", name="suspensionreason", native_enum=False, length=16),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("ends_at_term", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.add_column(sa.Column("end_reason", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "next_cycle",
                sa.Enum(
                    "monthly", "quarterly", "annually", name="billing_cycle", native_enum=False, length=16
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("new_recurring_minor", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("new_price_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("invoiced_through", sa.Date(), nullable=True))
        batch_op.create_index(
            "ix_service_reseller_status_due", ["reseller_id", "status", "next_due_on"], unique=False
        )
        batch_op.create_check_constraint("anchor_day_range", "anchor_day BETWEEN 1 AND 31")
        batch_op.create_check_constraint("recurring_not_negative", "recurring_minor >= 0")
        batch_op.create_check_constraint("new_recurring_not_negative", "new_recurring_minor >= 0")
        batch_op.create_check_constraint(
            "price_change_has_date", "(new_recurring_minor IS NULL) = (new_price_from IS NULL)"
        )
        batch_op.create_check_constraint(
            "suspended_has_reason", "(status = 'suspended') = (suspension_reason IS NOT NULL)"
        )


def _invoice_purpose() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "purpose",
                sa.Enum("order", "renewal", name="invoicepurpose", native_enum=False, length=16),
                server_default="order",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("service_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("period_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("period_end", sa.Date(), nullable=True))
        batch_op.alter_column("order_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(
            "uq_invoice_renewal_period",
            ["service_id", "period_start"],
            unique=True,
            sqlite_where=sa.text("purpose = 'renewal' AND status <> 'cancelled'"),
            postgresql_where=sa.text("purpose = 'renewal' AND status <> 'cancelled'"),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invoice_service_id_service"),
            "service",
            ["service_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_check_constraint(
            "purpose_has_subject",
            "(purpose = 'order' AND order_id IS NOT NULL) OR (purpose = 'renewal' AND service_id IS NOT NULL"
            " AND period_start IS NOT NULL AND period_end IS NOT NULL)",
        )


def _service_events() -> None:
    op.create_table(
        "service_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("what", sa.String(length=40), nullable=False),
        sa.Column("from_status", STATUS, nullable=True),
        sa.Column("to_status", STATUS, nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
            name=op.f("fk_service_event_invoice_id_invoice"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["reseller.id"],
            name=op.f("fk_service_event_reseller_id_reseller"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_service_event_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_event")),
    )
    with op.batch_alter_table("service_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_event_reseller_id"), ["reseller_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_event_service_id"), ["service_id"], unique=False)
        batch_op.create_index(
            "uq_service_event_renewed_invoice",
            ["invoice_id"],
            unique=True,
            sqlite_where=sa.text("what = 'renewed'"),
            postgresql_where=sa.text("what = 'renewed'"),
        )


def _billing_notices() -> None:
    op.create_table(
        "billing_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "invoice_id IS NOT NULL OR (service_id IS NOT NULL AND on_date IS NOT NULL)",
            name=op.f("ck_billing_notice_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
            name=op.f("fk_billing_notice_invoice_id_invoice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["reseller.id"],
            name=op.f("fk_billing_notice_reseller_id_reseller"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_billing_notice_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_notice")),
    )
    with op.batch_alter_table("billing_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_billing_notice_reseller_id"), ["reseller_id"], unique=False)
        batch_op.create_index(
            "uq_billing_notice_invoice_trigger",
            ["invoice_id", "trigger"],
            unique=True,
            sqlite_where=sa.text("invoice_id IS NOT NULL"),
            postgresql_where=sa.text("invoice_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_billing_notice_service_trigger_date",
            ["service_id", "trigger", "on_date"],
            unique=True,
            sqlite_where=sa.text("invoice_id IS NULL"),
            postgresql_where=sa.text("invoice_id IS NULL"),
        )


def _date_services_already_paid() -> None:
    """Give services bought before this revision their price, anchor day and next due date: the first
    date on their anchor day (the day their order was paid, in the shop's time zone) at least one cycle
    after payment and not before today, so no service is billed for a period already past — nor
    suspended or terminated on the first run for one."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            'SELECT service.id, service.cycle, order_line.amount_minor, "order".currency, "order".paid_at,'
            " reseller.timezone FROM service"
            " JOIN order_line ON order_line.id = service.order_line_id"
            ' JOIN "order" ON "order".id = order_line.order_id'
            " JOIN reseller ON reseller.id = service.reseller_id"
        )
    ).all()
    update = sa.text(
        "UPDATE service SET recurring_minor = :amount, currency = :currency, anchor_day = :anchor,"
        " next_due_on = :due WHERE id = :id"
    )
    for service_id, cycle, amount, currency, paid_at, zone in rows:
        if isinstance(paid_at, str):
            paid_at = datetime.fromisoformat(paid_at)
        if paid_at is not None and paid_at.tzinfo is None:
            paid_at = paid_at.replace(tzinfo=UTC)
        paid_on = paid_at.astimezone(ZoneInfo(zone)).date() if paid_at else None
        today = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
        due, cycles = None, 1
        while paid_on is not None and (due is None or due < today):
            due = _months_after(paid_on, CYCLE_MONTHS[cycle] * cycles)
            cycles += 1
        connection.execute(
            update,
            {
                "amount": amount,
                "currency": currency,
                "anchor": paid_on.day if paid_on else None,
                "due": due,
                "id": service_id,
            },
        )


def _months_after(day: date, months: int) -> date:
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month_index + 1, min(day.day, calendar.monthrange(year, month_index + 1)[1]))


def downgrade():
    op.drop_table("billing_notice")
    op.drop_table("service_event")
    with op.batch_alter_table("refund_due", schema=None) as batch_op:
        batch_op.drop_index("uq_refund_due_invoice_without_event")
        batch_op.alter_column("event_id", existing_type=sa.String(length=120), nullable=False)
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_ledger_entry_charge_has_line"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_ledger_entry_invoice_line_id_invoice_line"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_ledger_entry_invoice_line_id"), type_="unique")
        batch_op.alter_column("order_line_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("order_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("invoice_line_id")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_invoice_purpose_has_subject"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_invoice_service_id_service"), type_="foreignkey")
        batch_op.drop_index("uq_invoice_renewal_period")
        batch_op.alter_column("order_id", existing_type=sa.Integer(), nullable=False)
        for name in ("period_end", "period_start", "service_id", "purpose"):
            batch_op.drop_column(name)
    with op.batch_alter_table("service", schema=None) as batch_op:
        for name in (
            "anchor_day_range",
            "recurring_not_negative",
            "new_recurring_not_negative",
            "price_change_has_date",
            "suspended_has_reason",
        ):
            batch_op.drop_constraint(batch_op.f(f"ck_service_{name}"), type_="check")
        batch_op.drop_index("ix_service_reseller_status_due")
        for name in (
            "invoiced_through",
            "new_price_from",
            "new_recurring_minor",
            "next_cycle",
            "terminated_at",
            "end_reason",
            "ends_at_term",
            "suspension_reason",
            "auto_renew",
            "currency",
            "recurring_minor",
            "anchor_day",
            "next_due_on",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("reseller", schema=None) as batch_op:
        for name in (
            "renewal_days_range",
            "suspend_after_range",
            "terminate_after_range",
            "terminate_after_suspend",
            "termination_warning_range",
            "cancel_unpaid_range",
        ):
            batch_op.drop_constraint(batch_op.f(f"ck_reseller_{name}"), type_="check")
        for name in (
            "reminder_days",
            "cancel_unpaid_after_days",
            "terminate_after_days",
            "termination_warning_days",
            "suspend_after_days",
            "renewal_days_before",
        ):
            batch_op.drop_column(name)
