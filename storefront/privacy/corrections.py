"""Correction requests as the shop's team works them: the 21-day clock, answers, closing, passing on.

A customer asks for a correction of data they cannot edit themselves (the name on an issued
invoice, say). The PDPA gives the shop 21 days to comply or to refuse in writing, and once data is
corrected the shop must tell whoever it disclosed that data to in the preceding 12 months.
The list costs three queries however many requests a shop has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import defer

from ..branding.links import shop_url
from ..branding.shops import ShopLike
from ..branding.white_label import WhiteLabelError, check_white_label
from ..extensions import db
from ..mail.outbox import send_templated
from ..models import CorrectionOutcome, CorrectionRequest, CorrectionStatus, Customer, Disclosure, TeamMember
from ..paging import LAST_PAGE, PageCount
from .correction_records import RecordView, record_views

CORRECTION_DAYS = 21  # PDPA s.35: comply with a correction request, or refuse it in writing, within 21 days
PASS_ON_WINDOW = timedelta(days=365)  # corrected data goes on to whoever it was disclosed to in 12 months
PAGE_SIZE = 25
ANSWER_MAX = 5000
WAITING = (CorrectionStatus.OPEN, CorrectionStatus.ANSWERED)
FILTERS = {"open": WAITING, "closed": (CorrectionStatus.CLOSED,), "all": tuple(CorrectionStatus)}
CLOSING_OUTCOMES = (CorrectionOutcome.CORRECTED, CorrectionOutcome.REFUSED)
SAME_ANSWER = "This answer was already sent to the customer; it was not sent again."
RACED_ANSWER = "This request was closed, or given this answer, meanwhile. Nothing was sent."
# Invisible control characters; tabs and line breaks are fine in written text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CorrectionError(ValueError):
    """Input the team has to fix; the message says how."""


class CorrectionConflict(CorrectionError):
    """A step that no longer fits where the request stands (closing a closed request, say)."""


def due_at_for(submitted_at: datetime) -> datetime:
    """Return when the shop's answer to a request submitted at ``submitted_at`` is due."""
    return submitted_at + timedelta(days=CORRECTION_DAYS)


def days_left(due_at: datetime, now: datetime, timezone: str) -> int:
    """Return the days from today to the due date in the shop's time zone; negative once overdue."""
    zone = ZoneInfo(timezone)
    return (due_at.astimezone(zone).date() - now.astimezone(zone).date()).days


def clock_text(days: int) -> str:
    """Say how the clock stands, for example "3 days left", "Due today" or "Overdue by 2 days"."""
    if days == 0:
        return "Due today"
    plural = "" if abs(days) == 1 else "s"
    return f"{days} day{plural} left" if days > 0 else f"Overdue by {-days} day{plural}"


def status_filter(raw: str | None) -> str:
    """Return the list filter asked for (open and answered by default), or raise ``CorrectionError``."""
    value = (raw or "open").strip().lower() or "open"
    if value not in FILTERS:
        raise CorrectionError("Show correction requests that are open, closed, or all of them.")
    return value


def page_asked(raw: str | None) -> int:
    """Return the page number asked for (1 when none), or raise ``CorrectionError``."""
    text = (raw or "1").strip() or "1"
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise CorrectionError("Pages are numbered 1, 2, 3 and so on.")
    return min(int(text), LAST_PAGE) if len(text) <= 6 else LAST_PAGE


class RequestClock:
    """For a request's view with ``days_left``: None once the request is closed."""

    days_left: int | None

    @property
    def clock(self) -> str:
        """Return how the 21-day clock stands, or that the request is closed."""
        return "Closed" if self.days_left is None else clock_text(self.days_left)

    @property
    def overdue(self) -> bool:
        """True while the request waits past its due date."""
        return self.days_left is not None and self.days_left < 0


@dataclass(frozen=True)
class CorrectionRow(RequestClock):
    """One request as the list shows it; ``days_left`` is None once it is closed."""

    number: int
    customer_id: int
    customer_name: str
    record: RecordView
    submitted_at: datetime
    due_at: datetime
    status: CorrectionStatus
    days_left: int | None


@dataclass(frozen=True)
class CorrectionPage(PageCount):
    """A page of the shop's correction requests."""

    per_page = PAGE_SIZE

    rows: list[CorrectionRow]
    total: int
    page: int
    status: str


def _list_order(status: str) -> tuple:
    if status == "closed":
        return (CorrectionRequest.closed_at.desc(), CorrectionRequest.id.desc())
    if status == "all":
        return (CorrectionRequest.created_at.desc(), CorrectionRequest.id.desc())
    return (CorrectionRequest.due_at, CorrectionRequest.id)  # the most pressing first


def _days_left_if_waiting(
    status: CorrectionStatus, due_at: datetime, now: datetime, timezone: str
) -> int | None:
    return None if status == CorrectionStatus.CLOSED else days_left(due_at, now, timezone)


def open_requests(shop: ShopLike, status: str, page: int, now: datetime) -> CorrectionPage:
    """Return a page of the shop's requests (waiting ones soonest due first) in three queries."""
    condition = (CorrectionRequest.reseller_id == shop.id) & CorrectionRequest.status.in_(FILTERS[status])
    total = db.session.scalar(select(func.count()).select_from(CorrectionRequest).where(condition))
    found = db.session.execute(
        select(CorrectionRequest, Customer.name)
        .join(Customer, Customer.id == CorrectionRequest.customer_id)
        .options(defer(CorrectionRequest.details), defer(CorrectionRequest.answer))
        .where(condition)
        .order_by(*_list_order(status))
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    views = record_views(shop.id, [(correction.record, correction.customer_id) for correction, _ in found])
    rows = [
        CorrectionRow(
            correction.number,
            correction.customer_id,
            name,
            view,
            correction.created_at,
            correction.due_at,
            correction.status,
            _days_left_if_waiting(correction.status, correction.due_at, now, shop.timezone),
        )
        for (correction, name), view in zip(found, views, strict=True)
    ]
    return CorrectionPage(rows, total, page, status)


def shop_correction(reseller_id: int, number: int) -> CorrectionRequest | None:
    """Return one of the shop's correction requests by its number in the shop."""
    return db.session.scalar(
        select(CorrectionRequest).where(
            CorrectionRequest.reseller_id == reseller_id, CorrectionRequest.number == number
        )
    )


def disclosures_to_pass_on(reseller_id: int, customer_id: int, now: datetime) -> list[Disclosure]:
    """Return the disclosures of the customer's data in the last 12 months, newest first."""
    return list(
        db.session.scalars(
            select(Disclosure)
            .where(
                Disclosure.reseller_id == reseller_id,
                Disclosure.customer_id == customer_id,
                Disclosure.disclosed_at >= now - PASS_ON_WINDOW,
            )
            .order_by(Disclosure.disclosed_at.desc(), Disclosure.id.desc())
        )
    )


@dataclass(frozen=True)
class CorrectionDetail(RequestClock):
    """One request with its customer, the record it names, who answered, and whom to pass it on to."""

    correction: CorrectionRequest
    customer: Customer
    record: RecordView
    answered_by: str
    disclosures: list[Disclosure]
    days_left: int | None

    @property
    def awaits_passing_on(self) -> bool:
        """True once the data was corrected, was disclosed lately, and passing it on is not yet recorded."""
        correction = self.correction
        corrected = correction.outcome == CorrectionOutcome.CORRECTED
        return corrected and bool(self.disclosures) and correction.passed_on_at is None


def _answered_by(reseller_id: int, correction: CorrectionRequest) -> str:
    if correction.answered_at is None:
        return ""
    name = correction.answered_by_id and db.session.scalar(
        select(TeamMember.name).where(
            TeamMember.reseller_id == reseller_id, TeamMember.id == correction.answered_by_id
        )
    )
    return name or "A former team member"


def request_detail(shop: ShopLike, correction: CorrectionRequest, now: datetime) -> CorrectionDetail:
    """Return everything the page of one of the shop's requests shows."""
    return CorrectionDetail(
        correction,
        db.session.get(Customer, correction.customer_id),
        record_views(shop.id, [(correction.record, correction.customer_id)])[0],
        _answered_by(shop.id, correction),
        disclosures_to_pass_on(shop.id, correction.customer_id, now),
        _days_left_if_waiting(correction.status, correction.due_at, now, shop.timezone),
    )


def _text(raw: str | None, noun: str, *, required: bool) -> str:
    text = (raw or "").replace("\r\n", "\n").strip()
    if not text and required:
        raise CorrectionError(f"Please write the {noun}.")
    if len(text) > ANSWER_MAX:
        raise CorrectionError(f"The {noun} may be at most {ANSWER_MAX} characters; this one has {len(text)}.")
    if CONTROL_CHARACTERS.search(text):
        raise CorrectionError(f"The {noun} contains invisible control characters; please remove them.")
    try:
        check_white_label(text)
    except WhiteLabelError as error:
        raise CorrectionError(str(error)) from None
    return text


def _move(correction: CorrectionRequest, condition, values: dict, conflict: str) -> None:
    """Change the request only if it still meets ``condition``: a double submit changes it once."""
    result = db.session.execute(
        update(CorrectionRequest)
        .where(CorrectionRequest.id == correction.id, condition)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        raise CorrectionConflict(conflict)


def answer(
    shop: ShopLike, correction: CorrectionRequest, member_id: int, raw: str | None, now: datetime
) -> None:
    """Answer the customer in writing and email it to them; an open request becomes answered.

    The same answer twice (a double submit) is sent once.
    """
    conflict = "This request is closed, so it takes no more answers. Nothing was sent."
    if correction.status == CorrectionStatus.CLOSED:
        raise CorrectionConflict(conflict)
    text = _text(raw, "answer", required=True)
    if text == correction.answer:
        raise CorrectionConflict(SAME_ANSWER)
    answered = case(
        (CorrectionRequest.status == CorrectionStatus.OPEN, CorrectionStatus.ANSWERED.value),
        else_=CorrectionRequest.status,
    )
    values = {"answer": text, "answered_at": now, "answered_by_id": member_id, "status": answered}
    # The customer may withdraw meanwhile, or a second click may send this answer first: then nothing is sent.
    waiting = (CorrectionRequest.status != CorrectionStatus.CLOSED) & (CorrectionRequest.answer != text)
    _move(correction, waiting, values, RACED_ANSWER)
    _tell_customer(shop, correction, "correction_answer", answer=text)


def _closing_outcome(raw: str | None) -> CorrectionOutcome:
    value = (raw or "").strip().lower()
    if value not in {outcome.value for outcome in CLOSING_OUTCOMES}:
        raise CorrectionError("Say whether the data was corrected or the correction is refused.")
    return CorrectionOutcome(value)


def close(
    shop: ShopLike,
    correction: CorrectionRequest,
    member_id: int,
    outcome: str | None,
    note: str | None,
    now: datetime,
) -> None:
    """Close the request as corrected or refused (a refusal needs written reasons) and tell the customer."""
    conflict = "This request is already closed; nothing was changed."
    if correction.status == CorrectionStatus.CLOSED:
        raise CorrectionConflict(conflict)
    ended = _closing_outcome(outcome)
    refused = ended == CorrectionOutcome.REFUSED
    text = _text(note, "reason for refusing" if refused else "final note", required=refused)
    values = {"status": CorrectionStatus.CLOSED, "outcome": ended, "closed_at": now}
    if text:
        values |= {"answer": text, "answered_at": now, "answered_by_id": member_id}
    _move(correction, CorrectionRequest.status != CorrectionStatus.CLOSED, values, conflict)
    _tell_customer(shop, correction, "correction_closed", note=text)


def record_passed_on(shop: ShopLike, correction: CorrectionRequest, now: datetime) -> None:
    """Record that the correction went on to those the customer's data was disclosed to."""
    if correction.outcome != CorrectionOutcome.CORRECTED:
        raise CorrectionConflict(
            "Passing a correction on can be recorded once the request is closed as corrected."
        )
    if not disclosures_to_pass_on(shop.id, correction.customer_id, now):
        raise CorrectionConflict(
            "This customer's data was not disclosed in the last 12 months: no one to tell."
        )
    waiting = CorrectionRequest.passed_on_at.is_(None) & (
        CorrectionRequest.outcome == CorrectionOutcome.CORRECTED
    )
    _move(correction, waiting, {"passed_on_at": now}, "Passing this correction on was already recorded.")


def _tell_customer(shop: ShopLike, correction: CorrectionRequest, template: str, **context: object) -> None:
    """Email the customer from the shop, with a link to their privacy centre; not once anonymised."""
    customer = db.session.get(Customer, correction.customer_id)
    if customer is None or customer.anonymised_at is not None:
        return
    submitted = correction.created_at.astimezone(ZoneInfo(shop.timezone))
    record = record_views(shop.id, [(correction.record, correction.customer_id)])[0]
    send_templated(
        shop,
        customer.email,
        template,
        about=customer,
        customer_name=customer.name,
        correction=correction,
        record=record.label if record.found else "",
        submitted_on=submitted.strftime("%-d %b %Y"),
        privacy_url=shop_url(shop, "/account/privacy"),
        **context,
    )
