"""Everything a shop holds about one customer, as one machine-readable document.

The export is what the customer may see, credit notes and account credit included: never internal
notes, wholesale prices, the servers behind their hosting or who the shop's own providers are.
Platform staff appear as the shop's escalation persona, as they do in the ticket thread. It costs
the same number of queries however many orders or tickets there are: each collection loads in one
query (a subquery load, where a select-in load would split its ids into batches of 500).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import subqueryload

from ..branding.shops import ShopLike
from ..commerce.credit_notes import credit_note_label
from ..commerce.invoices import invoice_label
from ..extensions import db
from ..models import (
    AccountCreditEntry,
    ConsentEvent,
    CorrectionRequest,
    CreditNote,
    Customer,
    DomainRegistration,
    Invoice,
    NoticeAcceptance,
    Order,
    Service,
    ServiceEvent,
    Ticket,
    TicketMessage,
    utcnow,
)
from ..support.ticket_mail import shown_names
from .access_log import full_log
from .disclosures import LEGAL_BASIS_LABELS, disclosures_of
from .privacy_centre import record_choices, record_own_action

FORMAT = "personal-data-export/1"


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def export_filename(shop: ShopLike, now: datetime) -> str:
    """Return the download's name, for example ``acme-my-data-2026-05-01.json`` (the shop's date)."""
    return f"{shop.slug}-my-data-{now.astimezone(ZoneInfo(shop.timezone)).date().isoformat()}.json"


def _mine(model, shop: ShopLike, customer: Customer):
    return (
        select(model).where(model.reseller_id == shop.id, model.customer_id == customer.id).order_by(model.id)
    )


def _profile(customer: Customer) -> dict:
    return {
        "name": customer.name,
        "email": customer.email,
        "email_verified": customer.email_verified_at is not None,
        "email_verified_at": _when(customer.email_verified_at),
        "created_at": _when(customer.created_at),
        "privacy_notice_version_accepted": customer.privacy_notice_version,
        "marketing_consent": customer.marketing_consent,
        "closed_at": _when(customer.closed_at),
    }


def _orders(shop: ShopLike, customer: Customer) -> list[dict]:
    orders = db.session.scalars(_mine(Order, shop, customer).options(subqueryload(Order.lines)))
    return [
        {
            "order": order.number,
            "placed_at": _when(order.created_at),
            "status": order.status.value,
            "currency": order.currency,
            "total_minor": order.total_minor,
            "paid_at": _when(order.paid_at),
            "lines": [
                {
                    "description": line.description,
                    "domain": line.domain,
                    "billing_cycle": line.cycle.value if line.cycle else None,
                    "amount_minor": line.amount_minor,
                }
                for line in order.lines
            ],
        }
        for order in orders
    ]


def _invoices(shop: ShopLike, customer: Customer) -> list[dict]:
    invoices = db.session.execute(
        _mine(Invoice, shop, customer)
        .add_columns(Order.number)
        .outerjoin(Order, Order.id == Invoice.order_id)
        .options(subqueryload(Invoice.lines))
    )
    return [
        {
            "invoice": invoice_label(invoice.number),
            "order": order_number,
            "purpose": invoice.purpose.value,
            "period": [invoice.period_start.isoformat(), invoice.period_end.isoformat()]
            if invoice.period_start and invoice.period_end
            else None,
            "status": invoice.status.value,
            "issued_at": _when(invoice.issued_at),
            "paid_at": _when(invoice.paid_at),
            "payment_reference": invoice.payment_reference,
            "seller": {"name": invoice.seller_name, "address": invoice.seller_address},
            "buyer": {"name": invoice.buyer_name, "email": invoice.buyer_email},
            "currency": invoice.currency,
            "total_minor": invoice.total_minor,
            "lines": [
                {"description": li.description, "amount_minor": li.amount_minor} for li in invoice.lines
            ],
        }
        for invoice, order_number in invoices
    ]


def _credit_notes(shop: ShopLike, customer: Customer) -> list[dict]:
    notes = db.session.execute(
        _mine(CreditNote, shop, customer)
        .add_columns(Invoice.number)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .options(subqueryload(CreditNote.lines))
    )
    return [
        {
            "credit_note": credit_note_label(note.number),
            "invoice": invoice_label(invoice_number),
            "issued_at": _when(note.issued_at),
            "reason": note.reason,
            "becomes": note.outcome.value,
            "refunded_at": _when(note.refunded_at),
            "refund_reference": note.refund_reference,
            "seller": {"name": note.seller_name, "address": note.seller_address},
            "buyer": {"name": note.buyer_name, "email": note.buyer_email},
            "currency": note.currency,
            "total_minor": note.total_minor,
            "lines": [{"description": li.description, "amount_minor": li.amount_minor} for li in note.lines],
        }
        for note, invoice_number in notes
    ]


def _account_credit(shop: ShopLike, customer: Customer) -> list[dict]:
    return [
        {
            "at": _when(entry.created_at),
            "source": entry.source.value,
            "reason": entry.reason,
            "currency": entry.currency,
            "amount_minor": entry.amount_minor,
            "balance_after_minor": entry.balance_after_minor,
        }
        for entry in db.session.scalars(_mine(AccountCreditEntry, shop, customer))
    ]


def _services(shop: ShopLike, customer: Customer) -> list[dict]:
    services = db.session.scalars(_mine(Service, shop, customer).options(subqueryload(Service.plan))).all()
    history: dict[int, list[dict]] = {}
    events = db.session.scalars(
        select(ServiceEvent)
        .where(ServiceEvent.reseller_id == shop.id, ServiceEvent.service_id.in_([s.id for s in services]))
        .order_by(ServiceEvent.at, ServiceEvent.id)
    )
    for event in events:
        history.setdefault(event.service_id, []).append(
            {"at": _when(event.at), "what": event.what, "reason": event.reason}
        )
    return [
        {
            "service": service.number,
            "plan": service.plan.name,
            "domain": service.domain,
            "billing_cycle": service.cycle.value,
            "status": service.status.value,
            "username": service.username,
            "ordered_at": _when(service.created_at),
            "activated_at": _when(service.activated_at),
            "next_due_on": service.next_due_on.isoformat() if service.next_due_on else None,
            "renewal_price_minor": service.recurring_minor,
            "currency": service.currency,
            "renews": service.auto_renew and not service.ends_at_term,
            "history": history.get(service.id, []),
        }
        for service in services
    ]


def _domain_registrations(shop: ShopLike, customer: Customer) -> list[dict]:
    """The registrant is the customer; the other contacts are the shop's or its providers', not theirs."""
    return [
        {
            "domain": registration.domain,
            "status": registration.status,
            "registrant": registration.registrant,
            "nameservers": registration.nameservers,
            "ordered_at": _when(registration.created_at),
        }
        for registration in db.session.scalars(_mine(DomainRegistration, shop, customer))
    ]


def _tickets(shop: ShopLike, customer: Customer) -> list[dict]:
    tickets = list(
        db.session.scalars(
            _mine(Ticket, shop, customer).options(
                subqueryload(Ticket.messages).subqueryload(TicketMessage.attachments)
            )
        )
    )
    shown = [m for ticket in tickets for m in ticket.messages if not m.internal]
    # One lookup of team names for every ticket: staff are named as the shop's persona.
    names = dict(zip(map(id, shown), shown_names(shop, tickets[0], shown) if tickets else [], strict=True))
    return [
        {
            "ticket": ticket.number,
            "subject": ticket.subject,
            "status": ticket.status.value,
            "opened_at": _when(ticket.created_at),
            "closed_at": _when(ticket.closed_at),
            "messages": [
                {
                    "at": _when(message.created_at),
                    "from": names[id(message)],
                    "body": message.body,
                    "attachments": [
                        {"name": a.filename, "size_bytes": a.size_bytes, "content_type": a.content_type}
                        for a in message.attachments
                    ],
                }
                for message in ticket.messages
                if not message.internal
            ],
        }
        for ticket in tickets
    ]


def _consents(shop: ShopLike, customer: Customer) -> list[dict]:
    return [
        {
            "purpose": event.purpose,
            "granted": event.granted,
            "at": _when(event.created_at),
            "source": event.source,
            "privacy_notice_version": event.notice_version,
        }
        for event in db.session.scalars(_mine(ConsentEvent, shop, customer))
    ]


def _notice_acceptances(shop: ShopLike, customer: Customer) -> list[dict]:
    return [
        {"version": accepted.version, "at": _when(accepted.created_at)}
        for accepted in db.session.scalars(_mine(NoticeAcceptance, shop, customer))
    ]


def _corrections(shop: ShopLike, customer: Customer) -> list[dict]:
    labels = record_choices(shop, customer)
    return [
        {
            "about": labels.get(request.record, "Something else"),
            "details": request.details,
            "asked_at": _when(request.created_at),
            "due_at": _when(request.due_at),
            "status": request.status.value,
            "answer": request.answer or None,
            "answered_at": _when(request.answered_at),
            "outcome": request.outcome.value if request.outcome else None,
            "closed_at": _when(request.closed_at),
        }
        for request in db.session.scalars(_mine(CorrectionRequest, shop, customer))
    ]


def _access_log(shop: ShopLike, customer: Customer) -> list[dict]:
    return [
        {"at": _when(line.at), "who": line.who, "what": line.what, "why": line.why or None}
        for line in full_log(shop, customer)
    ]


def _disclosures(customer: Customer) -> list[dict]:
    return [
        {
            "to": disclosure.recipient,
            "data": disclosure.data,
            "purpose": disclosure.purpose,
            "legal_basis": LEGAL_BASIS_LABELS[disclosure.legal_basis],
            "reference": disclosure.reference or None,
            "at": _when(disclosure.disclosed_at),
        }
        for disclosure in disclosures_of(customer.id)
    ]


def export_data(shop: ShopLike, customer: Customer, now: datetime | None = None) -> dict:
    """Return everything the shop holds about the customer, as plain JSON-ready data."""
    return {
        "format": FORMAT,
        "generated_at": _when(now or utcnow()),
        "data_user": {
            "name": shop.legal_name,
            "trading_as": shop.brand_name,
            "address": shop.postal_address,
            "email": shop.support_email,
        },
        "profile": _profile(customer),
        "orders": _orders(shop, customer),
        "invoices": _invoices(shop, customer),
        "credit_notes": _credit_notes(shop, customer),
        "account_credit": _account_credit(shop, customer),
        "services": _services(shop, customer),
        "domain_registrations": _domain_registrations(shop, customer),
        "tickets": _tickets(shop, customer),
        "consents": _consents(shop, customer),
        "notice_acceptances": _notice_acceptances(shop, customer),
        "correction_requests": _corrections(shop, customer),
        "access_log": _access_log(shop, customer),
        "disclosures": _disclosures(customer),
    }


def record_export(shop: ShopLike, customer: Customer) -> None:
    """Write the download to the audit log and commit."""
    record_own_action(shop, customer, "export")
    db.session.commit()
