"""Account credit: an append-only ledger of money a shop holds for a customer, per currency.

Each entry adds (a credit note, an overpayment, a manual adjustment) or takes (applied to an
invoice, a manual adjustment) an amount, and records the balance after it. The balance is the sum
of the entries and never drops below zero: entries are written under a lock of the customer's row,
and a check on ``balance_after_minor`` refuses a negative one whatever path writes it.
"""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from ..extensions import db
from .base import TenantScoped, Timestamped, value_enum


class CreditSource(enum.StrEnum):
    """Where an entry of account credit came from, or where it went."""

    CREDIT_NOTE = "credit_note"
    OVERPAYMENT = "overpayment"
    ADJUSTMENT = "adjustment"
    INVOICE = "invoice"  # applied to an invoice
    PLAN_CHANGE = "plan_change"  # a move to a cheaper plan: the unused days' difference


class AccountCreditEntry(TenantScoped, Timestamped, db.Model):
    """One change to a customer's account credit, with its reason and source; never changed."""

    __table_args__ = (
        CheckConstraint("amount_minor <> 0", "amount_not_zero"),
        CheckConstraint("balance_after_minor >= 0", "balance_not_negative"),
        # A credit note or an overpayment turns into credit once.
        UniqueConstraint("credit_note_id"),
        UniqueConstraint("refund_due_id"),
        Index("ix_account_credit_entry_customer", "reseller_id", "customer_id", "currency", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int]  # positive adds credit, negative takes it
    balance_after_minor: Mapped[int]
    source: Mapped[CreditSource] = mapped_column(value_enum(CreditSource, 16))
    reason: Mapped[str] = mapped_column(String(300))
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_note.id", ondelete="RESTRICT"))
    refund_due_id: Mapped[int | None] = mapped_column(ForeignKey("refund_due.id", ondelete="RESTRICT"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), index=True)
    recorded_by: Mapped[str] = mapped_column(String(160))  # team:<id>, staff:<email>, customer:<id>, system


class AccountCreditIsAppendOnly(RuntimeError):
    """Something tried to change or delete an entry of account credit."""


@event.listens_for(Session, "before_flush")
def _refuse_credit_changes(session: Session, flush_context, instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AccountCreditEntry):
            raise AccountCreditIsAppendOnly("account credit entries are never changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_credit_changes(state: ORMExecuteState) -> None:
    """Refuse UPDATE and DELETE statements on the ledger run through a session (they skip the flush)."""
    if (
        state.is_update or state.is_delete
    ) and state.statement.table.name == AccountCreditEntry.__tablename__:
        raise AccountCreditIsAppendOnly("account credit entries are never changed or deleted")
