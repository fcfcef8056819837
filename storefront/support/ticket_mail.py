"""Ticket emails: to the customer with a per-ticket reply address, and to the shop's team."""

from __future__ import annotations

from sqlalchemy import select

from ..branding.links import shop_url
from ..extensions import db
from ..mail.outbox import send_templated
from ..models import Author, Customer, OutboxMessage, Reseller, TeamMember, Ticket, TicketMessage


def reply_address(reseller: Reseller, ticket: Ticket) -> str:
    """Return the ticket's own reply address: ``support+<token>@<shop domain>``."""
    local, _, domain = reseller.support_email.partition("@")
    return f"{local}+{ticket.reply_token}@{domain}"


def requester(ticket: Ticket) -> tuple[str, str]:
    """Return the name and address of the ticket's customer (or guest)."""
    if ticket.customer_id:
        customer = db.session.get(Customer, ticket.customer_id)
        return customer.name, customer.email
    return ticket.guest_name or "there", ticket.guest_email


def shown_names(reseller: Reseller, ticket: Ticket, messages: list[TicketMessage]) -> list[str]:
    """Return the name the shop shows for each message, in one query: staff always appear as the persona."""
    team_ids = {m.team_member_id for m in messages if m.team_member_id}
    team = dict(
        db.session.execute(select(TeamMember.id, TeamMember.name).where(TeamMember.id.in_(team_ids))).all()
    )
    fixed = {Author.STAFF: reseller.escalation_persona, Author.CUSTOMER: requester(ticket)[0]}
    return [
        team.get(m.team_member_id, f"{reseller.brand_name} support")
        if m.author == Author.TEAM
        else fixed.get(m.author, reseller.brand_name)
        for m in messages
    ]


def shown_thread(reseller: Reseller, ticket: Ticket, *, internal: bool) -> list[tuple[TicketMessage, str]]:
    """Return the thread (internal notes only if asked) with the names the shop shows."""
    messages = [m for m in ticket.messages if internal or not m.internal]
    return list(zip(messages, shown_names(reseller, ticket, messages), strict=True))


def _to_customer(
    reseller: Reseller, ticket: Ticket, template: str, **context: object
) -> OutboxMessage | None:
    name, address = requester(ticket)
    if not address or ticket.anonymised_at is not None:
        return None  # an anonymised ticket's customer is no longer reachable
    return send_templated(
        reseller,
        address,
        template,
        about=ticket,
        reply_to=reply_address(reseller, ticket),
        customer_name=name,
        ticket=ticket,
        ticket_url=shop_url(reseller, f"/account/tickets/{ticket.number}"),
        **context,
    )


def _to_team(reseller: Reseller, ticket: Ticket, template: str, **context: object) -> None:
    members = db.session.scalars(
        select(TeamMember).where(TeamMember.reseller_id == reseller.id, TeamMember.removed_at.is_(None))
    )
    for member in members:
        send_templated(
            reseller,
            member.email,
            template,
            about=ticket,
            member_name=member.name,
            ticket=ticket,
            ticket_url=shop_url(reseller, f"/console/tickets/{ticket.number}"),
            **context,
        )


def ticket_opened(reseller: Reseller, ticket: Ticket) -> None:
    """Acknowledge the new ticket to the customer and tell the team.

    A ticket from an unverified sender is never acknowledged: its From address may be forged,
    and the acknowledgement would go to whoever it names (backscatter).
    """
    if not ticket.sender_unverified:
        _to_customer(reseller, ticket, "ticket_received", due_at=ticket.reply_due_at)
    _to_team(reseller, ticket, "team_ticket_new", body=ticket.messages[0].body)


def customer_wrote(reseller: Reseller, ticket: Ticket, message: TicketMessage) -> None:
    """Tell the team the customer wrote again."""
    _to_team(reseller, ticket, "team_customer_reply", body=message.body)


def answered(reseller: Reseller, ticket: Ticket, message: TicketMessage) -> None:
    """Send the answer to the customer; its Message-ID lets a reply thread back."""
    outbox = _to_customer(
        reseller,
        ticket,
        "ticket_reply",
        body=message.body,
        author=shown_names(reseller, ticket, [message])[0],
    )
    if outbox is not None:
        message.email_message_id = outbox.message_id


def status_changed(reseller: Reseller, ticket: Ticket) -> None:
    """Tell the customer the ticket's status changed."""
    _to_customer(reseller, ticket, "ticket_status")


def escalated(reseller: Reseller, ticket: Ticket, reason: str, note: str) -> None:
    """Tell the team their ticket went to the escalations team."""
    _to_team(reseller, ticket, "team_escalated", reason=reason, note=note)


def deadline_close(reseller: Reseller, ticket: Ticket) -> None:
    """Warn the team that a ticket's answer is due soon."""
    _to_team(reseller, ticket, "team_deadline_close")
