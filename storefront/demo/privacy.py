"""The demo customers' privacy history: a disclosure, a marketing consent history, correction requests.

The values live in data.json ("privacy"); times are days before seeding, so the demo always looks
recent. Each piece is added only if missing, so seeding twice creates nothing new and an older demo
database gets what it lacks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..extensions import db
from ..models import (
    ConsentEvent,
    CorrectionOutcome,
    CorrectionRequest,
    CorrectionStatus,
    Customer,
    Disclosure,
    LegalBasis,
    Reseller,
    TeamMember,
    utcnow,
)
from ..privacy.corrections import due_at_for
from ..privacy.disclosures import disclosed_at

MARKETING = "marketing"
SEEDED_BY = "system"


def seed_privacy(specs: list[dict], created: list[str]) -> None:
    """Give each demo customer the privacy history of ``specs`` that they do not have yet."""
    now = utcnow()
    for spec in specs:
        found = _customer(spec["shop"], spec["customer"])
        if found is None:
            continue
        shop, customer = found
        for disclosure in spec.get("disclosures", []):
            _ensure_disclosure(shop, customer, disclosure, now, created)
        if spec.get("marketing_consent"):
            _ensure_consent_history(customer, spec["marketing_consent"], now, created)
        for correction in spec.get("corrections", []):
            _ensure_correction(customer, correction, now, created)


def _customer(slug: str, email: str) -> tuple[Reseller, Customer] | None:
    row = db.session.execute(
        select(Reseller, Customer)
        .join(Customer, Customer.reseller_id == Reseller.id)
        .where(Reseller.slug == slug, Customer.email == email)
    ).first()
    return None if row is None else (row[0], row[1])


def _ago(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def _ensure_disclosure(
    shop: Reseller, customer: Customer, spec: dict, now: datetime, created: list[str]
) -> None:
    """Record the disclosure (kept, as a real one is, at midday in the shop's time zone) once."""
    exists = select(Disclosure.id).where(
        Disclosure.customer_id == customer.id, Disclosure.recipient == spec["recipient"]
    )
    if db.session.scalar(exists.limit(1)):
        return
    day = _ago(now, spec["days_ago"]).astimezone(ZoneInfo(shop.timezone)).date()
    db.session.add(
        Disclosure(
            reseller_id=customer.reseller_id,
            customer_id=customer.id,
            recipient=spec["recipient"],
            data=spec["data"],
            purpose=spec["purpose"],
            legal_basis=LegalBasis(spec["legal_basis"]),
            reference=spec.get("reference", ""),
            disclosed_at=disclosed_at(day, ZoneInfo(shop.timezone), now),
            recorded_by=SEEDED_BY,
        )
    )
    created.append(f"disclosure to {spec['recipient']} for {customer.email}")


def _ensure_consent_history(
    customer: Customer, events: list[dict], now: datetime, created: list[str]
) -> None:
    """Give a customer with no marketing consent history the demo's; their consent ends as the last event."""
    exists = select(ConsentEvent.id).where(
        ConsentEvent.customer_id == customer.id, ConsentEvent.purpose == MARKETING
    )
    if db.session.scalar(exists.limit(1)):
        return
    for event in sorted(events, key=lambda event: -event["days_ago"]):
        db.session.add(
            ConsentEvent(
                reseller_id=customer.reseller_id,
                customer_id=customer.id,
                purpose=MARKETING,
                granted=event["granted"],
                source=event["source"],
                notice_version=customer.privacy_notice_version,
                created_at=_ago(now, event["days_ago"]),
            )
        )
        customer.marketing_consent = event["granted"]
    created.append(f"marketing consent history of {customer.email}")


def _ensure_correction(customer: Customer, spec: dict, now: datetime, created: list[str]) -> None:
    """Add the correction request once: open, or closed by the team member named in the data."""
    exists = select(CorrectionRequest.id).where(
        CorrectionRequest.customer_id == customer.id, CorrectionRequest.details == spec["details"]
    )
    if db.session.scalar(exists.limit(1)):
        return
    submitted = _ago(now, spec["days_ago"])
    request = CorrectionRequest(
        reseller_id=customer.reseller_id,
        customer_id=customer.id,
        record=spec["record"],
        details=spec["details"],
        status=CorrectionStatus.OPEN,
        due_at=due_at_for(submitted),
        created_at=submitted,
    )
    if "closed" in spec:
        _close(request, spec["closed"], now)
    db.session.add(request)
    created.append(f"correction request of {customer.email}")


def _close(request: CorrectionRequest, spec: dict, now: datetime) -> None:
    """Close the request as the team does: outcome, written answer, who answered and when."""
    closed_at = _ago(now, spec["days_ago"])
    member = db.session.scalar(
        select(TeamMember.id).where(
            TeamMember.reseller_id == request.reseller_id, TeamMember.email == spec["by"]
        )
    )
    request.status = CorrectionStatus.CLOSED
    request.outcome = CorrectionOutcome(spec["outcome"])
    request.answer = spec["answer"]
    request.answered_at = request.closed_at = closed_at
    request.answered_by_id = member
