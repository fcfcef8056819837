"""Shared steps for retention tests: customers closed at a given time, with invoices, tickets and emails."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from storefront.commerce.invoices import issue_invoice
from storefront.extensions import db
from storefront.mail.attachments import IncomingFile, store_attachments
from storefront.models import (
    AccountToken,
    CorrectionRequest,
    Customer,
    DomainRegistration,
    InboundEmail,
    InboundOutcome,
    LineKind,
    Order,
    OrderLine,
    Reseller,
    TeamMember,
    TicketStatus,
    TokenPurpose,
)
from storefront.models.account import hash_password
from storefront.privacy.retention import months_before
from storefront.support.tickets import add_customer_message, add_team_reply, open_ticket, set_status
from tests.shop.helpers import DEMO_PASSWORD

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def months_ago(months: int, now: datetime = NOW) -> datetime:
    """The moment ``months`` calendar months before ``now``."""
    return months_before(now, months)


def shop(slug: str) -> Reseller:
    """The shop with ``slug``, in the current app context."""
    return db.session.scalar(select(Reseller).where(Reseller.slug == slug))


def add_customer(app, slug: str, email: str, *, closed_at: datetime | None = None, name: str = "") -> int:
    """Create a customer of shop ``slug`` (closed at ``closed_at`` when given); return its id."""
    with app.app_context():
        customer = Customer(
            reseller_id=shop(slug).id,
            email=email,
            name=name or email.split("@")[0].title(),
            password_hash=hash_password(DEMO_PASSWORD),
            email_verified_at=NOW - timedelta(days=1000),
            marketing_consent=True,
            closed_at=closed_at,
        )
        db.session.add(customer)
        db.session.commit()
        return customer.id


def close_account(app, customer_id: int, closed_at: datetime) -> None:
    """Mark an account closed at ``closed_at``."""
    with app.app_context():
        db.session.get(Customer, customer_id).closed_at = closed_at
        db.session.commit()


def add_invoice(app, customer_id: int, domain: str = "bakery-example.com") -> int:
    """Order a domain for the customer, issue the invoice, record the registration; return the invoice id."""
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        order = Order(
            reseller_id=customer.reseller_id,
            customer_id=customer.id,
            currency="MYR",
            total_minor=4500,
            idempotency_key=secrets.token_hex(8),
        )
        order.lines = [
            OrderLine(
                reseller_id=customer.reseller_id,
                kind=LineKind.DOMAIN_REGISTRATION,
                domain=domain,
                description=f"Domain registration: {domain} (1 year)",
                amount_minor=4500,
                wholesale_minor=3000,
            )
        ]
        db.session.add(order)
        db.session.flush()
        invoice = issue_invoice(order, customer)
        db.session.add(
            DomainRegistration(
                reseller_id=customer.reseller_id,
                order_line_id=order.lines[0].id,
                customer_id=customer.id,
                domain=domain,
                registrant={"name": customer.name, "email": customer.email, "phone": "+60 12 345 6789"},
                admin_contact={"organisation": "Shop"},
                tech_contact={"organisation": "Shop"},
                billing_contact={"organisation": "Shop"},
                zone_contact={"organisation": "Zone"},
                nameservers=["ns1.example.net"],
            )
        )
        db.session.commit()
        return invoice.id


def add_ticket(
    app,
    slug: str,
    *,
    customer_id: int | None = None,
    guest: tuple[str, str] | None = None,
    opened_at: datetime,
    closed_at: datetime | None = None,
) -> int:
    """Open a ticket with a reply, an attachment and the email it came in; close it at ``closed_at``."""
    with app.app_context():
        reseller = shop(slug)
        customer = db.session.get(Customer, customer_id) if customer_id else None
        guest_name, guest_email = guest or (None, None)
        ticket = open_ticket(
            reseller,
            "My invoice shows the wrong name",
            "Please write Siti Aminah binti Ahmad, phone 012-3456789.",
            customer=customer,
            guest_email=guest_email,
            guest_name=guest_name,
            now=opened_at,
        )
        member = db.session.scalar(select(TeamMember).where(TeamMember.reseller_id == reseller.id).limit(1))
        add_team_reply(reseller, ticket, member, "Thanks, corrected.", now=opened_at + timedelta(hours=1))
        message = add_customer_message(reseller, ticket, "Here is my IC.", now=opened_at + timedelta(hours=2))
        store_attachments(message, [IncomingFile("ic.png", "image/png", b"\x89PNG personal scan")])
        db.session.add(
            InboundEmail(
                message_id=f"<{secrets.token_hex(8)}@mail.example.com>",
                from_address=customer.email if customer else guest_email,
                to_address=reseller.support_email,
                subject="Here is my IC",
                outcome=InboundOutcome.THREADED,
                reason=f"added to ticket {ticket.id}",
                reseller_id=reseller.id,
                ticket_id=ticket.id,
                raw=b"From: someone\r\nSubject: Here is my IC\r\n\r\nMy IC number is 900101-14-5678.\r\n",
            )
        )
        if closed_at is not None:
            set_status(reseller, ticket, TicketStatus.CLOSED, now=closed_at)
        db.session.commit()
        return ticket.id


def add_private_records(app, customer_id: int) -> None:
    """Give the customer an emailed link and a correction request."""
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        db.session.add_all(
            [
                AccountToken(
                    reseller_id=customer.reseller_id,
                    customer_id=customer.id,
                    purpose=TokenPurpose.RESET_PASSWORD,
                    token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
                    expires_at=NOW,
                ),
                CorrectionRequest(
                    reseller_id=customer.reseller_id,
                    customer_id=customer.id,
                    record="other",
                    details="My name is Siti Aminah binti Ahmad, not Siti.",
                    due_at=NOW,
                    answer="Corrected to Siti Aminah binti Ahmad.",
                ),
            ]
        )
        db.session.commit()


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table, to show that something changed nothing."""
    with app.app_context():
        return {
            table.name: sorted(
                (tuple(row) for row in db.session.execute(text(f'SELECT * FROM "{table.name}"'))), key=repr
            )
            for table in db.metadata.sorted_tables
        }
