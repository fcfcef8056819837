"""The disclosure register: one customer's data given to someone outside, to whom, what, why and when.

Staff name the customer by shop and exact email, never by browsing: the platform cannot list a
shop's customers (non-competition), so the register itself shows each customer only by number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, true

from .. import audit
from ..addresses import InvalidEmail, normalise_email
from ..extensions import db
from ..models import Customer, Disclosure, LegalBasis, Reseller
from ..paging import PageCount

PAGE_SIZE = 25

# The words a customer reads in their privacy centre; staff choose from the same words.
LEGAL_BASIS_LABELS: dict[LegalBasis, str] = {
    LegalBasis.CONSENT: "You gave your consent",
    LegalBasis.CONTRACT: "Needed to provide what you ordered (for example the domain registry)",
    LegalBasis.LEGAL_DUTY: "Required by law or by a court order",
    LegalBasis.CRIME: "To prevent or detect a crime",
    LegalBasis.LEGITIMATE: "A legitimate interest you were told of (for example a credit-reference check)",
}


class UnknownCustomer(LookupError):
    """No customer of the shop has that email; the message names the shop and nothing else."""


@dataclass(frozen=True)
class DisclosureDetails:
    """What staff record about one disclosure, already checked for length and presence."""

    recipient: str
    data: str
    purpose: str
    legal_basis: LegalBasis
    reference: str
    disclosed_on: date


def find_customer(shop: Reseller, raw_email: str, *, allow_test_domains: bool) -> Customer:
    """Return the shop's customer with exactly this email, or raise UnknownCustomer."""
    missing = UnknownCustomer(f"No customer with that email at {shop.brand_name}.")
    try:
        email = normalise_email(raw_email, allow_test_domains=allow_test_domains)
    except InvalidEmail:
        raise missing from None
    customer = db.session.scalar(
        select(Customer).where(Customer.reseller_id == shop.id, Customer.email == email)
    )
    if customer is None:
        raise missing
    return customer


def record_refused_lookup(staff_id: int, role: str, shop_id: int) -> None:
    """Audit a customer lookup that matched no one at the shop, never the email; the caller commits.

    The refusal tells staff that an email is not a customer of the shop: the answer is needed to
    correct a typing mistake, and it is recorded like any other look at customer data.
    """
    reason = "1 email looked up, it matches no customer; nothing saved"
    audit.record(f"staff:{staff_id}", role, shop_id, "disclosures", "customer_lookup_refused", reason)


def disclosed_at(day: date, zone: ZoneInfo, now: datetime) -> datetime:
    """Return the moment kept for a disclosure on ``day``: midday there, or now if that is still ahead."""
    return min(datetime.combine(day, time(12), tzinfo=zone).astimezone(UTC), now)


def record_disclosure(
    staff_id: int, role: str, customer: Customer, details: DisclosureDetails, zone: ZoneInfo, now: datetime
) -> Disclosure:
    """Add the disclosure and its audit entry to the session; the caller commits."""
    disclosure = Disclosure(
        reseller_id=customer.reseller_id,
        customer_id=customer.id,
        recipient=details.recipient,
        data=details.data,
        purpose=details.purpose,
        legal_basis=details.legal_basis,
        reference=details.reference,
        disclosed_at=disclosed_at(details.disclosed_on, zone, now),
        recorded_by=f"staff:{staff_id}",
    )
    db.session.add(disclosure)
    db.session.flush()
    audit.record(
        f"staff:{staff_id}",
        role,
        customer.reseller_id,
        f"disclosure:{disclosure.id}",
        "record_disclosure",
        details.recipient,
        customer_id=customer.id,
    )
    return disclosure


@dataclass(frozen=True)
class RegisterRow:
    """One disclosure as the register shows it: the customer by number only."""

    id: int
    shop_name: str
    customer_id: int
    recipient: str
    data: str
    purpose: str
    legal_basis: LegalBasis
    reference: str
    disclosed_at: datetime


REGISTER_COLUMNS = (
    Disclosure.id,
    Reseller.brand_name,
    Disclosure.customer_id,
    Disclosure.recipient,
    Disclosure.data,
    Disclosure.purpose,
    Disclosure.legal_basis,
    Disclosure.reference,
    Disclosure.disclosed_at,
)


@dataclass(frozen=True)
class RegisterPage(PageCount):
    """A page of the register, newest disclosure first."""

    per_page = PAGE_SIZE

    rows: list[RegisterRow]
    total: int
    page: int


def register(page: int, reseller_id: int | None = None) -> RegisterPage:
    """Return a page of disclosures across shops, or of one shop, as plain values in two queries."""
    condition = Disclosure.reseller_id == reseller_id if reseller_id else true()
    total = db.session.scalar(select(func.count(Disclosure.id)).where(condition))
    found = db.session.execute(
        select(*REGISTER_COLUMNS)
        .join(Reseller, Reseller.id == Disclosure.reseller_id)
        .where(condition)
        .order_by(Disclosure.disclosed_at.desc(), Disclosure.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return RegisterPage([RegisterRow(*row) for row in found], total or 0, page)


def disclosures_of(customer_id: int) -> list[Disclosure]:
    """Return every disclosure of one customer's data, newest first (what their privacy centre lists)."""
    return list(
        db.session.scalars(
            select(Disclosure)
            .where(Disclosure.customer_id == customer_id)
            .order_by(Disclosure.disclosed_at.desc(), Disclosure.id.desc())
        )
    )
