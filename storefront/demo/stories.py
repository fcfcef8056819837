"""The living demo's twelve stories: how each of a shop's demo customers bought, paid and left.

Days are counted from the shop's date today (negative: in the past), so the demo always ends in the
same states whatever day it is seeded: each story's ``due`` is the due date its state turns on, and
the service was bought ``periods`` billing cycles before it. ``data.json`` ("history") names the
customer who lives each story at each shop; the README's demo table says who is in which state.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import BillingCycle

CARD, TRANSFER = "card", "transfer"


@dataclass(frozen=True)
class Story:
    """One customer's year: what they bought, how they paid its renewals, and where it left them."""

    state: str  # how the README's demo table describes the customer at the end
    offer: int  # which of the shop's offers, by position (wrapping round the shop's list)
    cycle: BillingCycle
    due: int  # days from today of the due date the story turns on
    periods: int  # billing cycles between the purchase and that due date
    pays_with: str = CARD
    pays_days_before: int = 10  # renewals are paid this many days before they fall due...
    stops_paying_at: int | None = None  # ...except those due on or after this day
    pays_late_at: int | None = None  # the renewal due near this day is paid two weeks late
    ends_at_term_on: int | None = None  # the day the customer asks to stop renewing
    order_paid: bool = True  # False: the new order's invoice is never paid
    activated: bool = True  # False: paid, still waiting for staff to set it up
    second_offer: int | None = None  # a second service, bought a month after the first
    credit_note: bool = False  # the owner credits part of a renewal six weeks ago


STORIES = {
    "loyal": Story(
        "active for a year, every renewal paid by card; a credit note for an outage became account credit",
        offer=1,
        cycle=BillingCycle.MONTHLY,
        due=20,
        periods=12,
        credit_note=True,
    ),
    "annual": Story(
        "active, paid yearly by bank transfer; next due in about two months",
        offer=0,
        cycle=BillingCycle.ANNUALLY,
        due=65,
        periods=1,
        pays_with=TRANSFER,
    ),
    "two_services": Story(
        "two active services, renewals paid by card",
        offer=0,
        cycle=BillingCycle.MONTHLY,
        due=24,
        periods=9,
        second_offer=2,
    ),
    "invoice_due": Story(
        "active; a renewal invoice due within the week, reminded, not yet paid",
        offer=0,
        cycle=BillingCycle.MONTHLY,
        due=5,
        periods=8,
        stops_paying_at=0,
    ),
    "overdue": Story(
        "active; a renewal a few days overdue (under a week), reminded, unpaid",
        offer=1,
        cycle=BillingCycle.MONTHLY,
        due=-3,
        periods=6,
        stops_paying_at=-3,
    ),
    "suspended": Story(
        "suspended for non-payment: a renewal about two weeks overdue",
        offer=0,
        cycle=BillingCycle.MONTHLY,
        due=-12,
        periods=7,
        stops_paying_at=-12,
    ),
    "reinstated": Story(
        "active again: suspended two months ago, unsuspended when the renewal was paid by bank transfer",
        offer=1,
        cycle=BillingCycle.MONTHLY,
        due=15,
        periods=10,
        pays_late_at=-75,
    ),
    "terminated": Story(
        "terminated: a renewal left unpaid for 30 days after warnings",
        offer=0,
        cycle=BillingCycle.MONTHLY,
        due=-45,
        periods=5,
        stops_paying_at=-45,
    ),
    "cancelled": Story(
        "cancelled at the end of the term, as asked a month ago",
        offer=2,
        cycle=BillingCycle.MONTHLY,
        due=-8,
        periods=4,
        ends_at_term_on=-30,
    ),
    "pending": Story(
        "ordered and paid by card yesterday; the service waits for set-up",
        offer=1,
        cycle=BillingCycle.MONTHLY,
        due=-1,
        periods=0,
        activated=False,
    ),
    "unpaid_order": Story(
        "ordered two days ago to pay by bank transfer; the invoice is still unpaid",
        offer=0,
        cycle=BillingCycle.ANNUALLY,
        due=-2,
        periods=0,
        order_paid=False,
    ),
    "order_cancelled": Story(
        "ordered two weeks ago and never paid: the order was cancelled after seven days",
        offer=2,
        cycle=BillingCycle.MONTHLY,
        due=-15,
        periods=0,
        order_paid=False,
    ),
}
