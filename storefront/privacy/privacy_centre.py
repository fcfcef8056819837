"""The customer's side of privacy: marketing consent, correction requests, closing the account."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from .. import audit
from ..branding.links import shop_url
from ..branding.shops import ShopLike
from ..commerce.invoices import invoice_label
from ..domain_names import display_domain
from ..extensions import db
from ..identity.tokens import revoke_tokens
from ..mail.outbox import send_templated
from ..models import (
    ConsentEvent,
    CorrectionOutcome,
    CorrectionRequest,
    CorrectionStatus,
    Customer,
    Invoice,
    Order,
    Reseller,
    Service,
    TeamMember,
    utcnow,
)
from .corrections import CONTROL_CHARACTERS, due_at_for

MARKETING = "marketing"
OTHER = "other"
DETAILS_MIN, DETAILS_MAX = 10, 2000
RECORD_RULE = "Please choose one of your own records, or “Something else”."
DETAILS_RULE = (
    f"Please say what is wrong and what it should say, in {DETAILS_MIN} to {DETAILS_MAX} characters."
)
WAITING = (CorrectionStatus.OPEN, CorrectionStatus.ANSWERED)


class PrivacyError(ValueError):
    """A privacy-centre request that cannot be done; the message says why, ``field`` says where."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def record_own_action(
    shop: ShopLike, customer: Customer, action: str, reason: str = "", subject: str = ""
) -> None:
    """Write what the customer did to their own data to the audit log (their record by default)."""
    actor = f"customer:{customer.id}"
    audit.record(actor, "customer", shop.id, subject or actor, action, reason, customer_id=customer.id)


def retention_months(shop: ShopLike) -> int:
    """Return how many months the shop keeps a closed account before anonymising it."""
    return db.session.scalar(select(Reseller.retain_closed_accounts_months).where(Reseller.id == shop.id))


# Marketing consent


# The privacy page shows this many recent consent changes; the download has them all.
CONSENTS_SHOWN = 20


def consent_history(shop: ShopLike, customer: Customer, limit: int | None = None) -> list[ConsentEvent]:
    """Return the customer's marketing consents and withdrawals, newest first (at most ``limit``)."""
    return list(
        db.session.scalars(
            select(ConsentEvent)
            .where(
                ConsentEvent.reseller_id == shop.id,
                ConsentEvent.customer_id == customer.id,
                ConsentEvent.purpose == MARKETING,
            )
            .order_by(ConsentEvent.id.desc())
            .limit(limit)
        )
    )


def record_consent(shop: ShopLike, customer: Customer, granted: bool, source: str) -> None:
    """Give or withdraw the customer's marketing consent, keeping the change in its history."""
    db.session.add(
        ConsentEvent(
            reseller_id=shop.id,
            customer_id=customer.id,
            purpose=MARKETING,
            granted=granted,
            source=source,
            notice_version=customer.privacy_notice_version,
            request_id=audit.request_id(),
        )
    )
    customer.marketing_consent = granted


def set_marketing_consent(shop: ShopLike, customer: Customer, granted: bool) -> bool:
    """Give or withdraw consent to the shop's marketing; False (and nothing recorded) if unchanged.

    The conditional update lets only one of two simultaneous clicks record the change.
    """
    moved = db.session.execute(
        update(Customer)
        .where(Customer.id == customer.id, Customer.marketing_consent != granted)
        .values(marketing_consent=granted)
    )
    if moved.rowcount != 1:
        return False
    record_consent(shop, customer, granted, "privacy centre")
    db.session.commit()
    return True


# Correction requests


def record_choices(shop: ShopLike, customer: Customer) -> dict[str, str]:
    """Return the records a customer may ask to correct (``invoice:<number>`` …) with their labels."""
    mine = {"reseller_id": shop.id, "customer_id": customer.id}
    invoices = db.session.scalars(select(Invoice.number).filter_by(**mine).order_by(Invoice.number.desc()))
    orders = db.session.scalars(select(Order.number).filter_by(**mine).order_by(Order.number.desc()))
    services = db.session.execute(
        select(Service.number, Service.domain).filter_by(**mine).order_by(Service.number.desc())
    )
    return {
        **{f"invoice:{number}": f"Invoice {invoice_label(number)}" for number in invoices},
        **{f"order:{number}": f"Order {number}" for number in orders},
        **{f"service:{number}": f"Hosting for {display_domain(domain)}" for number, domain in services},
        OTHER: "Something else",
    }


def corrections_of(shop: ShopLike, customer: Customer) -> list[CorrectionRequest]:
    """Return the customer's correction requests, newest first."""
    return list(
        db.session.scalars(
            select(CorrectionRequest)
            .where(CorrectionRequest.reseller_id == shop.id, CorrectionRequest.customer_id == customer.id)
            .order_by(CorrectionRequest.id.desc())
        )
    )


def _clean_details(raw: str) -> str:
    details = (raw or "").replace("\r\n", "\n").strip()
    if CONTROL_CHARACTERS.search(details):
        raise PrivacyError("Please write plain text, without control characters.", "details")
    if not DETAILS_MIN <= len(details) <= DETAILS_MAX:
        raise PrivacyError(DETAILS_RULE, "details")
    return details


def _waiting_twin(shop: ShopLike, customer: Customer, record: str, details: str) -> CorrectionRequest | None:
    """Return the customer's waiting request with the same record and words (a double submit), if any."""
    return db.session.scalar(
        select(CorrectionRequest)
        .where(
            CorrectionRequest.reseller_id == shop.id,
            CorrectionRequest.customer_id == customer.id,
            CorrectionRequest.status.in_(WAITING),
            CorrectionRequest.record == record,
            CorrectionRequest.details == details,
        )
        .limit(1)
    )


def ask_correction(shop: ShopLike, customer: Customer, record: str, raw_details: str) -> CorrectionRequest:
    """Open a correction request about one of the customer's records; the team has 21 days.

    The same request sent again while the first one waits is that request, not a second one.
    """
    choices = record_choices(shop, customer)
    if record not in choices:
        raise PrivacyError(RECORD_RULE, "record")
    details = _clean_details(raw_details)
    twin = _waiting_twin(shop, customer, record, details)
    if twin is not None:
        return twin
    now = utcnow()
    request = CorrectionRequest(
        reseller_id=shop.id,
        customer_id=customer.id,
        record=record,
        details=details,
        status=CorrectionStatus.OPEN,
        due_at=due_at_for(now),
        created_at=now,
    )
    db.session.add(request)
    db.session.flush()
    record_own_action(shop, customer, "correction_request", choices[record], f"correction:{request.id}")
    _tell_team(shop, customer, request, choices[record])
    db.session.commit()
    return request


def _tell_team(shop: ShopLike, customer: Customer, request: CorrectionRequest, record_label: str) -> None:
    members = db.session.scalars(
        select(TeamMember).where(TeamMember.reseller_id == shop.id, TeamMember.removed_at.is_(None))
    )
    due = request.due_at.astimezone(ZoneInfo(shop.timezone)).strftime("%-d %b %Y")
    for member in members:
        send_templated(
            shop,
            member.email,
            "team_correction_request",
            about=customer,
            member_name=member.name,
            customer_name=customer.name,
            record_label=record_label,
            details=request.details,
            due_date=due,
            request_url=shop_url(shop, f"/console/corrections/{request.number}"),
        )


def find_correction(shop: ShopLike, customer: Customer, number: int) -> CorrectionRequest | None:
    """Return one of the customer's own correction requests by its number in the shop, or None."""
    return db.session.scalar(
        select(CorrectionRequest).where(
            CorrectionRequest.number == number,
            CorrectionRequest.reseller_id == shop.id,
            CorrectionRequest.customer_id == customer.id,
        )
    )


def withdraw_correction(shop: ShopLike, customer: Customer, request: CorrectionRequest) -> None:
    """Withdraw a request the team has not closed yet; a closing that crosses the withdrawal stands."""
    moved = db.session.execute(
        update(CorrectionRequest)
        .where(CorrectionRequest.id == request.id, CorrectionRequest.status.in_(WAITING))
        .values(status=CorrectionStatus.CLOSED, outcome=CorrectionOutcome.WITHDRAWN, closed_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if moved.rowcount != 1:
        raise PrivacyError("That request is already closed.")
    record_own_action(shop, customer, "withdraw", subject=f"correction:{request.id}")
    db.session.commit()


# Closing the account


def close_account(shop: ShopLike, customer: Customer, password: str, now: datetime | None = None) -> bool:
    """Close the account if the password is right: no more sign-in, every session ends; else False.

    Marketing stops with it. The retention purge anonymises the account once the shop's period passes.
    """
    if not customer.check_password(password or ""):
        return False
    customer.closed_at = now or utcnow()
    customer.end_sessions()
    revoke_tokens(customer)
    if customer.marketing_consent:
        record_consent(shop, customer, False, "account closed")
    record_own_action(shop, customer, "close_account")
    db.session.commit()
    return True
