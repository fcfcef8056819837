"""Triage: staff place an email no rule could place, opening an escalated ticket at the shop they choose."""

from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...mail.parsing import MalformedEmail, parse_email
from ...models import InboundEmail, InboundOutcome, Reseller, Ticket
from ..escalation import escalate
from .intake import attachment_limits
from .routing import open_from_email, verified_customer

TRIAGE_NOTE = "Opened by the escalations team from an email to the platform"


class TriageError(ValueError):
    """The email cannot be placed as asked; the message says why."""


def open_from_triage(inbound_id: int, reseller_id: int, staff_id: int) -> Ticket:
    """Open an escalated ticket at a shop from a triage email: for that shop's verified customer
    when the sender was proven, else for a guest (marked "unverified sender" when nothing proved it).

    The caller audits the opening and commits both together.
    """
    inbound = db.session.scalar(
        select(InboundEmail).where(
            InboundEmail.id == inbound_id,
            InboundEmail.outcome == InboundOutcome.TRIAGE,
            InboundEmail.dismissed_at.is_(None),
        )
    )
    reseller = db.session.get(Reseller, reseller_id)
    if inbound is None or reseller is None:
        raise LookupError(inbound_id)
    try:
        email = parse_email(inbound.raw, [], attachment_limits())
    except MalformedEmail as error:
        raise TriageError(f"This email cannot be read as a message: {error}") from None
    customer = verified_customer(reseller.id, email.sender) if inbound.sender_authenticated else None
    if customer is None and not email.sender.isascii():
        raise TriageError("Our mail cannot reach this sender's address, so no guest ticket can be opened.")
    ticket = open_from_email(email, reseller, customer, unverified=not inbound.sender_authenticated)
    escalate(reseller, ticket, f"staff:{staff_id}", "email", note=TRIAGE_NOTE)
    inbound.outcome, inbound.reseller_id, inbound.ticket_id = InboundOutcome.OPENED, reseller.id, ticket.id
    inbound.reason = f"opened by staff as ticket {ticket.number} at {reseller.brand_name}"[:300]
    return ticket
