"""Shared steps for credit notes and account credit: a paid order, issuing a note in the console."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select

from storefront.commerce.account_credit import Adjustment, adjust_account_credit
from storefront.commerce.credit_notes import CreditRequest, issue_credit_note
from storefront.commerce.payments import mark_bank_transfer_paid
from storefront.extensions import db
from storefront.models import AccountCreditEntry, CreditNote, Customer, Invoice, Order, Reseller
from tests.console.shop_data import checkout, only_order_id, only_order_number
from tests.shop.helpers import csrf_from
from tests.steps import owner_client

ACME = "acme.localhost"


def paid_order(app, client_for, **checkout_options):
    """Aisyah orders Business yearly with a new domain and pays by bank transfer; return her client."""
    shopper = checkout(client_for, **checkout_options)
    with app.app_context():
        invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == only_order_id(app)))
        mark_bank_transfer_paid(invoice, "MBB 0001", "team:0")
    return shopper


def order_invoice(app) -> Invoice:
    """Return a detached copy of the newest Acme order's invoice, lines loaded."""
    with app.app_context():
        invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == only_order_id(app)))
        _ = list(invoice.lines)
        db.session.expunge_all()
        return invoice


def order_page(team, app) -> tuple[str, str]:
    """Return the console path and page of the newest Acme order."""
    path = f"/console/orders/{only_order_number(app)}"
    return path, team.get(path).text


def credit_form(page: str) -> dict[str, str]:
    """Return the hidden fields of the credit note form on an order page."""
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf_from(page), "idempotency_key": key}


def issue(team, app, amounts: dict[int, str], outcome: str = "account_credit", reason: str = "Plan changed"):
    """Post the credit note form of the newest order with amounts by line position; return the response."""
    path, page = order_page(team, app)
    fields = {f"amount-{position}": amount for position, amount in amounts.items()}
    return team.post(
        f"{path}/credit-notes", data=credit_form(page) | fields | {"reason": reason, "outcome": outcome}
    )


def notes(app) -> list[CreditNote]:
    """Return every credit note, lines loaded, oldest first (detached)."""
    with app.app_context():
        found = list(db.session.scalars(select(CreditNote).order_by(CreditNote.id)))
        for note in found:
            _ = list(note.lines)
        db.session.expunge_all()
        return found


def ledger(app) -> list[tuple[int, int, str]]:
    """Return (amount, balance after, source) of every account credit entry, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(
                AccountCreditEntry.amount_minor,
                AccountCreditEntry.balance_after_minor,
                AccountCreditEntry.source,
            ).order_by(AccountCreditEntry.id)
        )
        return [(amount, after, source.value) for amount, after, source in rows]


def owner(client_for):
    """Acme's owner in the console."""
    return owner_client(client_for)


def order_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Order.id)).all())


def credit_invoice(
    app, invoice_id: int, amounts: dict[int, int], outcome: str = "account_credit", key: str | None = None
) -> int:
    """Issue a credit note through the service (minor units by line position); return its number."""
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        shop = db.session.get(Reseller, invoice.reseller_id)
        request = CreditRequest(
            amounts, "Goodwill for a slow start", outcome, key or secrets.token_urlsafe(24)
        )
        note, _ = issue_credit_note(shop, invoice, request, "team:0")
        db.session.commit()
        return note.number


def give_credit(app, amount: str, email: str = "aisyah@example.com", direction: str = "add") -> None:
    """Adjust a demo customer's account credit through the service, as the shop's team does."""
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.email == email))
        shop = db.session.get(Reseller, customer.reseller_id)
        adjust_account_credit(shop, customer, Adjustment(direction, amount, "Goodwill"), "team:0")
        db.session.commit()
