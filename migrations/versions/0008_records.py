"""Records: outbox emails linked to what they are about, refunds to make, one featured offer

Outbox emails get the customer and ticket they are about; refunds to make get their table; a
shop features at most one offer.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00

Existing emails are linked once, here, from what they were sent with: a customer's own
email by its recipient, a ticket's email by the ticket's reply address or its console
link. From now on the link is written when an email is queued, and the purge follows it.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TICKET_LINK = re.compile(r"/console/tickets/(\d+)")
CORRECTION_LINK = re.compile(r"/console/corrections/(\d+)")


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ticket_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_message_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_message_ticket_id"), ["ticket_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_customer_id_customer"),
            "customer",
            ["customer_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_ticket_id_ticket"),
            "ticket",
            ["ticket_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _link_existing_emails()
    op.create_table(
        "refund_due",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=120), nullable=False),
        sa.Column("charge_reference", sa.String(length=120), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refund_reference", sa.String(length=120), nullable=True),
        sa.Column("refunded_by", sa.String(length=160), nullable=True),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_refund_due_amount_positive")),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_refund_due_invoice_id_invoice"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["reseller.id"],
            name=op.f("fk_refund_due_reseller_id_reseller"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_due")),
        sa.UniqueConstraint("gateway", "event_id", name=op.f("uq_refund_due_gateway_event_id")),
    )
    with op.batch_alter_table("refund_due", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refund_due_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refund_due_reseller_id"), ["reseller_id"], unique=False)
    _one_featured_offer_per_shop()


def _one_featured_offer_per_shop():
    """Keep each shop's first featured offer (by its place in the shop) and feature no other."""
    connection = op.get_bind()
    featured = connection.execute(
        sa.text("SELECT id, reseller_id FROM offer WHERE featured ORDER BY reseller_id, position, id")
    ).all()
    kept = set()
    for offer_id, reseller_id in featured:
        if reseller_id in kept:
            connection.execute(
                sa.text("UPDATE offer SET featured = :no WHERE id = :id"), {"no": False, "id": offer_id}
            )
        kept.add(reseller_id)
    op.create_index(
        "uq_offer_one_featured",
        "offer",
        ["reseller_id"],
        unique=True,
        sqlite_where=sa.text("featured"),
        postgresql_where=sa.text("featured"),
    )


def _link_existing_emails():
    """Link the emails already queued to their ticket and customer, once."""
    connection = op.get_bind()
    tickets = {
        (row.reseller_id, row.id): row
        for row in connection.execute(sa.text("SELECT id, reseller_id, customer_id, reply_token FROM ticket"))
    }
    by_token = {row.reply_token: row for row in tickets.values()}
    customers = {
        (row.reseller_id, row.email): row.id
        for row in connection.execute(sa.text("SELECT id, reseller_id, email FROM customer"))
    }
    corrections = {
        (row.reseller_id, row.id): row.customer_id
        for row in connection.execute(sa.text("SELECT id, reseller_id, customer_id FROM correction_request"))
    }
    emails = connection.execute(
        sa.text("SELECT id, reseller_id, to_address, reply_to, text_body FROM outbox_message")
    ).all()
    for email in emails:
        ticket = _ticket_of(email, tickets, by_token)
        customer_id = ticket.customer_id if ticket else None
        correction = CORRECTION_LINK.search(email.text_body or "")
        if customer_id is None and correction:
            customer_id = corrections.get((email.reseller_id, int(correction.group(1))))
        if customer_id is None:
            address = (email.to_address or "").rpartition("<")[2].rstrip(">").strip().lower()
            customer_id = customers.get((email.reseller_id, address))
        if ticket or customer_id:
            connection.execute(
                sa.text("UPDATE outbox_message SET customer_id = :c, ticket_id = :t WHERE id = :id"),
                {"c": customer_id, "t": ticket.id if ticket else None, "id": email.id},
            )


def _ticket_of(email, tickets, by_token):
    local = (email.reply_to or "").partition("@")[0]
    token = local.rpartition("+")[2] if "+" in local else ""
    ticket = by_token.get(token) if token else None
    if ticket is not None and ticket.reseller_id == email.reseller_id:
        return ticket
    link = TICKET_LINK.search(email.text_body or "")
    return tickets.get((email.reseller_id, int(link.group(1)))) if link else None


def downgrade():
    op.drop_index("uq_offer_one_featured", table_name="offer")
    with op.batch_alter_table("refund_due", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refund_due_reseller_id"))
        batch_op.drop_index(batch_op.f("ix_refund_due_invoice_id"))
    op.drop_table("refund_due")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_message_ticket_id_ticket"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_outbox_message_customer_id_customer"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_message_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_message_customer_id"))
        batch_op.drop_column("ticket_id")
        batch_op.drop_column("customer_id")
