"""The living demo's tickets: open, answered, escalated, late and closed, at times relative to now.

Each is written through the support verbs with the time it happened, so a ticket left unanswered past
the shop's first-response target is late when the demo opens and waits on the escalation screen.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..extensions import db
from ..models import Reseller, TeamMember, TeamRole, Ticket, TicketStatus
from ..support.escalation import escalate
from ..support.tickets import add_customer_message, add_team_reply, open_ticket, set_status

if TYPE_CHECKING:
    from .history import Person

HOUR = timedelta(hours=1)


def open_demo_tickets(
    shop: Reseller, owner: TeamMember, people: Iterable[Person], now: datetime, rng: random.Random
) -> None:
    """Open each story's ticket and take it as far as the story says; the caller commits."""
    agent = (
        db.session.scalar(
            select(TeamMember).where(TeamMember.reseller_id == shop.id, TeamMember.role == TeamRole.AGENT)
        )
        or owner
    )
    by_story = {person.story_key: person for person in people}
    for story, write in TICKETS.items():
        if story in by_story:
            write(shop, agent, by_story[story], now - timedelta(minutes=rng.randint(0, 20)))


def _open(shop: Reseller, person: Person, subject: str, body: str, at: datetime) -> Ticket:
    service_id = person.services[0] if person.services else None
    ticket = open_ticket(shop, subject, body, customer=person.customer, service_id=service_id, now=at)
    db.session.flush()
    return ticket


def _waiting_for_set_up(shop: Reseller, agent: TeamMember, person: Person, now: datetime) -> None:
    """Open, and not yet due: the customer wrote a few minutes ago."""
    _open(
        shop,
        person,
        "When will my hosting be ready?",
        "I paid for my plan yesterday. When will the account be set up, and which nameservers should I "
        "use for my domain?",
        now - timedelta(minutes=25),
    )


def _answered(shop: Reseller, agent: TeamMember, person: Person, now: datetime) -> None:
    """Answered by the shop's agent; waiting on the customer."""
    ticket = _open(
        shop,
        person,
        "Email on my second site",
        "Can I create mailboxes for the shop site as well, or only for the main domain?",
        now - 50 * HOUR,
    )
    add_team_reply(
        shop,
        ticket,
        agent,
        "Yes: every site on your plan can have its own mailboxes. Open the mail section of your control "
        "panel, pick the shop domain and add the addresses you need. Tell us if anything is unclear!",
        now - 46 * HOUR,
    )


def _escalated(shop: Reseller, agent: TeamMember, person: Person, now: datetime) -> None:
    """Answered once, then escalated by the customer, who was not satisfied."""
    ticket = _open(
        shop,
        person,
        "Renewal price higher than I expected",
        "My renewal invoice shows a different amount from last month. Why has it changed?",
        now - 30 * HOUR,
    )
    add_team_reply(
        shop,
        ticket,
        agent,
        "Thank you for asking. We will check the invoice against your plan and come back to you.",
        now - 27 * HOUR,
    )
    add_customer_message(
        shop,
        ticket,
        "It has been a day and I still have no answer. The invoice is due soon.",
        now=now - 6 * HOUR,
    )
    escalate(
        shop,
        ticket,
        f"customer:{person.customer.id}",
        "asked",
        "The invoice is due in a few days and I need an answer before I pay.",
        now=now - 5 * HOUR,
    )


def _late(shop: Reseller, agent: TeamMember, person: Person, now: datetime) -> None:
    """Never answered: past the shop's first-response target."""
    _open(
        shop,
        person,
        "Reminder emails",
        "I keep getting reminders about my renewal. Can I pay part now and the rest next week?",
        now - 26 * HOUR,
    )


def _late_and_down(shop: Reseller, agent: TeamMember, person: Person, now: datetime) -> None:
    """A suspended customer's plea, unanswered for three days."""
    _open(
        shop,
        person,
        "My website is down",
        "My website shows an account suspended page and my customers cannot order. Please help, I will "
        "pay this week.",
        now - 72 * HOUR,
    )


def _closed(shop: Reseller, agent: TeamMember, person: Person, now: datetime) -> None:
    """A month-old request, answered and closed."""
    ticket = _open(
        shop,
        person,
        "Stop renewing my hosting",
        "We are moving the site to our company's own server. Please do not renew my plan after this month.",
        now - 31 * 24 * HOUR,
    )
    add_team_reply(
        shop,
        ticket,
        agent,
        "Done: your plan now ends at the end of the current term and will not be renewed. Your site stays "
        "up until then. Thank you for being with us!",
        now - 30 * 24 * HOUR,
    )
    set_status(shop, ticket, TicketStatus.CLOSED, now=now - 29 * 24 * HOUR)


def _resolved(shop: Reseller, agent: TeamMember, person: Person, now: datetime) -> None:
    """An old question, answered and resolved."""
    ticket = _open(
        shop,
        person,
        "Moving my WordPress site",
        "Can you help me move my WordPress site from my old host?",
        now - 90 * 24 * HOUR,
    )
    add_team_reply(
        shop,
        ticket,
        agent,
        "Of course. Send us a backup of the files and the database, and we will move it for you within a "
        "working day.",
        now - 89 * 24 * HOUR,
    )
    set_status(shop, ticket, TicketStatus.RESOLVED, now=now - 85 * 24 * HOUR)


TICKETS = {
    "pending": _waiting_for_set_up,
    "two_services": _answered,
    "invoice_due": _escalated,
    "overdue": _late,
    "suspended": _late_and_down,
    "cancelled": _closed,
    "loyal": _resolved,
}
