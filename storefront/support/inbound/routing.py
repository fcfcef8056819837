"""Where a readable message goes: the ticket it answers, a new ticket at the shop it was sent to,
an escalation for the platform, or staff triage.

Identity is proven, not read: the sender is a shop's customer only when the trusted receiving
server's results prove the From address (``SenderProof``) and the account's address was verified.
Anyone else is a guest, and a sender nothing proves gets a guest ticket marked "unverified
sender", no acknowledgement, never a place in an account's ticket, never an escalation in a
customer's name. A reference to a ticket counts only at the shop the mail was sent to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from ...extensions import db
from ...mail.attachments import store_attachments
from ...mail.mailtext import fit, strip_quoted_reply
from ...mail.parsing import ParsedEmail
from ...models import Author, Customer, InboundOutcome, Reseller, Ticket, TicketMessage
from ..escalation import escalate
from ..tickets import BODY_MAX, SUBJECT_MAX, add_customer_message, open_ticket
from .sender_identity import SenderProof

NAME_MAX = 120
NO_SUBJECT, NO_TEXT = "(no subject)", "(no message text)"
PLATFORM_NOTE = "Emailed the platform's support address"
NOTES_SHOWN = 20
_REPLY_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class Filing:
    """What became of a message, why, and the shop and ticket it concerns."""

    outcome: InboundOutcome
    reason: str
    reseller_id: int | None = None
    ticket_id: int | None = None


def route(email: ParsedEmail, proof: SenderProof) -> Filing:
    """File a readable message: automatic, a reply, new for a shop, for the platform, or unknown."""
    shops = _shops_addressed(email.recipients)
    to_platform = is_platform_address(email.recipients)
    ticket = _ticket_replied_to(email, to_platform)
    if email.auto_reply:
        shop = ticket.reseller_id if ticket else (shops[0].id if len(shops) == 1 else None)
        reason = f"automatic message ({email.auto_reply}): stored, never answered"
        return Filing(InboundOutcome.AUTO_REPLY, reason, shop, ticket.id if ticket else None)
    if _is_our_address(email.sender):
        return Filing(InboundOutcome.TRIAGE, "sent from one of our own support addresses")
    if ticket is not None:
        return _thread(email, ticket, proof)
    if len(shops) > 1:
        return Filing(InboundOutcome.TRIAGE, "addressed to several shops: staff choose")
    if shops:
        return _open_for_shop(email, shops[0], proof)
    if to_platform:
        return _open_for_platform(email, proof)
    return Filing(InboundOutcome.TRIAGE, "not addressed to a shop we know")


def is_platform_address(recipients: list[str]) -> bool:
    """True when the platform's support address is among the recipients."""
    platform = current_app.config["PLATFORM_SUPPORT_EMAIL"].lower()
    return platform in (address.lower() for address in recipients)


def reply_token_of(address: str) -> str | None:
    """Return the ticket token of a reply address ``local+<token>@domain``, if it has one."""
    local_part = address.rpartition("@")[0]
    _, plus, token = local_part.rpartition("+")  # the shop's own address may hold a "+" already
    return token if plus and _REPLY_TOKEN.fullmatch(token) else None


def _ticket_replied_to(email: ParsedEmail, to_platform: bool) -> Ticket | None:
    """Return the ticket whose reply address, or whose answer's Message-ID, this message names at
    a shop it was sent to (any shop, when it was sent to the platform)."""
    for address in email.recipients:
        token = reply_token_of(address)
        ticket = db.session.scalar(select(Ticket).where(Ticket.reply_token == token)) if token else None
        if ticket is not None and _is_shop_reply_address(address, token, ticket):
            return ticket
    shop_ids = addressed_shop_ids(email.recipients)
    if not email.references or not (shop_ids or to_platform):
        return None
    # Only our own answers count: a customer's Message-ID is chosen by whoever sent it.
    query = select(TicketMessage.ticket_id, TicketMessage.reseller_id).where(
        TicketMessage.email_message_id.in_(email.references), TicketMessage.author != Author.CUSTOMER
    )
    if not to_platform:  # a reference to another shop's ticket never moves mail across shops
        query = query.where(TicketMessage.reseller_id.in_(shop_ids))
    answer = db.session.execute(query.order_by(TicketMessage.id.desc()).limit(1)).first()
    if answer is None:
        return None
    return db.session.scalar(
        select(Ticket).where(Ticket.id == answer.ticket_id, Ticket.reseller_id == answer.reseller_id)
    )


def _is_shop_reply_address(address: str, token: str, ticket: Ticket) -> bool:
    """True when ``address`` is the ticket's shop support address with ``+token`` added."""
    support = db.session.scalar(select(Reseller.support_email).where(Reseller.id == ticket.reseller_id))
    local, _, domain = (support or "").lower().partition("@")
    return address.lower() == f"{local}+{token.lower()}@{domain}"


def addressed_shop_ids(recipients: list[str]) -> list[int]:
    """Return the shops whose support address is a recipient, with or without a ``+tag``."""
    plain = {re.sub(r"\+[^@]*@", "@", address.lower()) for address in recipients}
    if not plain:
        return []
    query = select(Reseller.id).where(func.lower(Reseller.support_email).in_(plain)).order_by(Reseller.id)
    return list(db.session.scalars(query))


def verified_customer(reseller_id: int, address: str) -> Customer | None:
    """Return the shop's customer with this address, only if they verified it."""
    return db.session.scalar(
        select(Customer).where(
            Customer.reseller_id == reseller_id,
            Customer.email == address,
            Customer.email_verified_at.is_not(None),
        )
    )


def _may_thread(email: ParsedEmail, ticket: Ticket, proof: SenderProof) -> bool:
    """True when the proven sender owns the ticket: its customer (verified) or its guest.

    A guest ticket opened by an unverified sender goes on as one: its replies need no more proof
    than its first message had, and they stay marked.
    """
    if not email.sender:
        return False
    if ticket.customer_id is not None:
        owner = db.session.get(Customer, ticket.customer_id)
        verified = owner is not None and owner.email_verified_at is not None
        same = (
            owner is not None
            and owner.reseller_id == ticket.reseller_id
            and owner.email.lower() == email.sender
        )
        return proof.proven and verified and same
    guest = (ticket.guest_email or "").lower()
    return email.sender == guest and (proof.proven or ticket.sender_unverified)


def _thread(email: ParsedEmail, ticket: Ticket, proof: SenderProof) -> Filing:
    """Add the reply to its ticket, only when the ticket's own (proven) requester sent it."""
    reseller = db.session.get(Reseller, ticket.reseller_id)
    if not _may_thread(email, ticket, proof):
        # Not proven to be the ticket's requester: never threaded, but still heard at that shop.
        return _open_for_shop(email, reseller, proof)
    body = _message_body(strip_quoted_reply(email.body), email.notes)
    message = add_customer_message(reseller, ticket, body, email_message_id=email.message_id)
    store_attachments(message, email.files)
    return Filing(InboundOutcome.THREADED, f"added to ticket {ticket.number}", reseller.id, ticket.id)


def _shops_addressed(recipients: list[str]) -> list[Reseller]:
    """Return the shops whose support address is among the recipients."""
    lowered = {address.lower() for address in recipients}
    if not lowered:
        return []
    query = select(Reseller).where(func.lower(Reseller.support_email).in_(lowered)).order_by(Reseller.id)
    return list(db.session.scalars(query))


def _is_our_address(address: str) -> bool:
    """True for a shop's or the platform's support address: mail from it would loop."""
    if address == current_app.config["PLATFORM_SUPPORT_EMAIL"].lower():
        return True
    query = select(Reseller.id).where(func.lower(Reseller.support_email) == address).limit(1)
    return db.session.scalar(query) is not None


def _open_for_shop(email: ParsedEmail, reseller: Reseller, proof: SenderProof) -> Filing:
    """Open a ticket at the shop: for its verified customer when the sender is proven, else a guest's."""
    customer = verified_customer(reseller.id, email.sender) if proof.proven else None
    if customer is None and not email.sender.isascii():
        reason = "a guest address our mail cannot reach (not ASCII)"
        return Filing(InboundOutcome.TRIAGE, reason, reseller.id)
    ticket = open_from_email(email, reseller, customer, unverified=not proof.proven)
    if customer is not None:
        reason = f"new ticket {ticket.number} from its customer"
    elif proof.proven:
        reason = f"new ticket {ticket.number} from a guest"
    else:
        reason = f"new ticket {ticket.number} from a guest, unverified sender: {proof.detail}"
    return Filing(InboundOutcome.OPENED, reason, reseller.id, ticket.id)


def _open_for_platform(email: ParsedEmail, proof: SenderProof) -> Filing:
    """Open and escalate a ticket at the one shop where the proven sender is a verified customer;
    anything else waits for staff."""
    if not proof.proven:
        return Filing(InboundOutcome.TRIAGE, f"unverified sender: {proof.detail}")
    customers = list(
        db.session.scalars(
            select(Customer)
            .where(Customer.email == email.sender, Customer.email_verified_at.is_not(None))
            .order_by(Customer.id)
        )
    )
    if not customers:
        return Filing(InboundOutcome.TRIAGE, "unknown sender")
    if len(customers) > 1:  # one account per shop and address, so several accounts mean several shops
        return Filing(InboundOutcome.TRIAGE, "customer of several shops: staff choose")
    customer = customers[0]
    reseller = db.session.get(Reseller, customer.reseller_id)
    ticket = open_from_email(email, reseller, customer)
    escalate(reseller, ticket, "email", "email", note=PLATFORM_NOTE)
    reason = f"new ticket {ticket.number}, escalated: emailed the platform's support address"
    return Filing(InboundOutcome.OPENED, reason, reseller.id, ticket.id)


def open_from_email(
    email: ParsedEmail, reseller: Reseller, customer: Customer | None, *, unverified: bool = False
) -> Ticket:
    """Open a ticket at ``reseller`` from a parsed email, with its attachments."""
    ticket = open_ticket(
        reseller,
        email.subject[:SUBJECT_MAX] or NO_SUBJECT,
        _message_body(email.body, email.notes),
        customer=customer,
        guest_email=None if customer else email.sender,
        guest_name=None if customer else (email.sender_name[:NAME_MAX] or None),
        email_message_id=email.message_id,
        sender_unverified=unverified and customer is None,
    )
    store_attachments(ticket.messages[0], email.files)
    return ticket


def _message_body(text: str, notes: list[str]) -> str:
    """Return the message text with a line for each attachment not kept, within the body limit."""
    if len(notes) > NOTES_SHOWN:
        notes = [*notes[:NOTES_SHOWN], f"[{len(notes) - NOTES_SHOWN} more attachments not kept]"]
    tail = "\n\n" + "\n".join(notes) if notes else ""
    return fit(text.strip() or NO_TEXT, BODY_MAX - len(tail)) + tail
