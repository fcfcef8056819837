"""Personal-data breaches: the 72-hour clock to the Commissioner and each shop's notice to its customers.

A breach names the shops it reached and, per shop, the customers affected. Each customer hears of it
from their own shop, in the shop's brand: the notice never names the platform.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from email.utils import formataddr
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, literal, select, update

from .. import audit
from ..addresses import InvalidEmail, normalise_email
from ..branding.links import shop_url
from ..extensions import db
from ..mail.outbox import send_templated
from ..mail.rendering import render_email
from ..models import Breach, BreachCustomer, BreachShop, Customer, Reseller

BREACH_NOTIFY_HOURS = 72
NOTICE_KIND = "breach_notice"
PRIVACY_PATH = "/account/privacy"
SAMPLE_NAME = "[customer's name]"


class BreachError(ValueError):
    """The breach cannot be recorded as given; ``problems`` says why, in plain words."""

    def __init__(self, problems: list[str], listed: int = 0, unmatched: int = 0) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.listed, self.unmatched = listed, unmatched


@dataclass(frozen=True)
class BreachDetails:
    """What staff record about a breach, already checked by the form."""

    title: str
    occurred_at: datetime | None
    discovered_at: datetime
    scope: str
    data_categories: str
    measures: str


def deadline(breach: Breach) -> datetime:
    """Return when the Commissioner must have been told: 72 hours after discovery."""
    return breach.discovered_at + timedelta(hours=BREACH_NOTIFY_HOURS)


def hours_left(breach: Breach, now: datetime) -> float:
    """Return the hours until the deadline; negative once it has passed."""
    return (deadline(breach) - now).total_seconds() / 3600


def deadline_state(breach: Breach, now: datetime, zone: ZoneInfo) -> str:
    """Say where the breach stands against the deadline, for example ``5 hours left``."""
    told = breach.commissioner_notified_at
    if told is not None:
        late = math.floor((told - deadline(breach)).total_seconds() / 3600)
        note = f", {late} hour{'' if late == 1 else 's'} after the deadline" if late >= 1 else ""
        return f"Commissioner notified {told.astimezone(zone):%-d %b %Y, %H:%M}{note}"
    left = hours_left(breach, now)
    if left > 0:
        hours = math.ceil(left)
        return f"{hours} hour{'' if hours == 1 else 's'} left"
    overdue = math.floor(-left)
    return "OVERDUE by less than an hour" if overdue < 1 else f"OVERDUE by {overdue} hours"


def match_customers(
    shop_ids: list[int], lines: list[str], *, allow_test_domains: bool
) -> tuple[list[tuple[int, int]], list[str]]:
    """Return (customer id, shop id) of each listed email at the shops, and the lines that match none.

    Anonymised customers are left out: their data is gone.
    """
    wanted: dict[str, str | None] = {}
    for line in dict.fromkeys(lines):
        try:
            wanted[line] = normalise_email(line, allow_test_domains=allow_test_domains)
        except InvalidEmail:
            wanted[line] = None
    found = db.session.execute(
        select(Customer.id, Customer.reseller_id, Customer.email).where(
            Customer.reseller_id.in_(shop_ids),
            Customer.email.in_({email for email in wanted.values() if email}),
            Customer.anonymised_at.is_(None),
        )
    ).all()
    emails = {email for _, _, email in found}
    unmatched = [line for line, email in wanted.items() if email not in emails]
    return [(customer_id, shop_id) for customer_id, shop_id, _ in found], unmatched


def unmatched_problems(unmatched: list[str]) -> list[str]:
    """Name the first lines that match no customer, and count the rest."""
    shown = [f"No customer of the selected shops has this email: {line[:254]}" for line in unmatched[:20]]
    more = len(unmatched) - len(shown)
    return shown + ([f"… and {more} more lines that match no customer."] if more else [])


def record_breach(
    staff_id: int,
    role: str,
    details: BreachDetails,
    shop_ids: list[int],
    emails: list[str] | None,
    *,
    allow_test_domains: bool,
) -> Breach:
    """Record the breach with its shops and customers (every customer of the shops when ``emails`` is None).

    Raises BreachError before anything is added when a listed email matches no customer.
    """
    shop_ids = list(dict.fromkeys(shop_ids))
    matched: list[tuple[int, int]] = []
    if emails is not None:
        matched, unmatched = match_customers(shop_ids, emails, allow_test_domains=allow_test_domains)
        if unmatched:
            raise BreachError(unmatched_problems(unmatched), len(set(emails)), len(unmatched))
    breach = Breach(**asdict(details), recorded_by_id=staff_id)
    db.session.add(breach)
    db.session.flush()
    db.session.execute(insert(BreachShop), [{"breach_id": breach.id, "reseller_id": i} for i in shop_ids])
    if emails is None:
        _add_every_customer(breach.id, shop_ids)
    elif matched:
        rows = [{"breach_id": breach.id, "customer_id": c, "reseller_id": s} for c, s in matched]
        db.session.execute(insert(BreachCustomer), rows)
    counts = _customers_per_shop(breach.id)
    for shop_id in shop_ids:
        reason = f"{details.title[:200]}: {counts.get(shop_id, 0)} customers affected"
        audit.record(f"staff:{staff_id}", role, shop_id, f"breach:{breach.id}", "record_breach", reason)
    return breach


def record_refused_list(staff_id: int, role: str, shop_ids: list[int], error: BreachError) -> None:
    """Audit a refused email list at each chosen shop, by its counts only; the caller commits.

    The lines a refusal names tell staff which listed emails are not customers, and so which are:
    the answer is needed to correct a typing mistake, and it is recorded like any other look at
    customer data. The emails themselves stay out of the log.
    """
    reason = f"{error.listed} emails listed, {error.unmatched} match no customer; nothing saved"
    for shop_id in dict.fromkeys(shop_ids):
        audit.record(f"staff:{staff_id}", role, shop_id, "breaches", "breach_list_refused", reason)


def _add_every_customer(breach_id: int, shop_ids: list[int]) -> None:
    """Add every customer of the shops still holding personal data, in one statement."""
    every = select(literal(breach_id), Customer.id, Customer.reseller_id).where(
        Customer.reseller_id.in_(shop_ids), Customer.anonymised_at.is_(None)
    )
    db.session.execute(insert(BreachCustomer).from_select(["breach_id", "customer_id", "reseller_id"], every))


def _customers_per_shop(breach_id: int) -> dict[int, int]:
    rows = db.session.execute(
        select(BreachCustomer.reseller_id, func.count())
        .where(BreachCustomer.breach_id == breach_id)
        .group_by(BreachCustomer.reseller_id)
    )
    return {shop_id: count for shop_id, count in rows}


def notify_commissioner(breach: Breach, at: datetime, reference: str) -> bool:
    """Record when the Commissioner was told; False (nothing changed) when that was already recorded."""
    claimed = db.session.execute(
        update(Breach)
        .where(Breach.id == breach.id, Breach.commissioner_notified_at.is_(None))
        .values(commissioner_notified_at=at, commissioner_reference=reference)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(breach)
    return claimed.rowcount == 1


def notice_context(breach: Breach, shop: Reseller, customer_name: str, privacy_url: str) -> dict[str, object]:
    """Return what the notice template needs, its times in the shop's own zone."""
    zone = ZoneInfo(shop.timezone)
    occurred = breach.occurred_at
    return {
        "customer_name": customer_name,
        "breach": breach,
        "discovered_on": f"{breach.discovered_at.astimezone(zone):%-d %B %Y}",
        "occurred_on": f"{occurred.astimezone(zone):%-d %B %Y}" if occurred else "",
        "privacy_url": privacy_url,
    }


@dataclass(frozen=True)
class NoticePreview:
    """The notice one shop's customers get, as rendered for a sample customer."""

    from_header: str
    subject: str
    text_body: str
    html_body: str


def notice_preview(breach: Breach, shop: Reseller) -> NoticePreview:
    """Render the shop's notice from the same template the real email uses, for a sample customer."""
    context = notice_context(breach, shop, SAMPLE_NAME, shop_url(shop, PRIVACY_PATH))
    subject, text_body, html_body = render_email(shop, NOTICE_KIND, context)
    return NoticePreview(formataddr((shop.brand_name, shop.support_email)), subject, text_body, html_body)


@dataclass(frozen=True)
class NoticeRun:
    """What one press of "send notices" did."""

    queued: int
    already_sent: int


def send_notices(breach: Breach, staff_id: int, role: str, now: datetime) -> NoticeRun:
    """Queue the shop's notice to each affected customer not yet notified, and mark them notified.

    The rows are claimed first (notified_at set where still empty), so two presses never send twice.
    """
    already = db.session.scalar(
        select(func.count()).where(
            BreachCustomer.breach_id == breach.id, BreachCustomer.notified_at.is_not(None)
        )
    )
    db.session.execute(
        update(BreachCustomer)
        .where(
            BreachCustomer.breach_id == breach.id,
            BreachCustomer.notified_at.is_(None),
            BreachCustomer.customer_id.in_(select(Customer.id).where(Customer.anonymised_at.is_(None))),
        )
        .values(notified_at=now)
        .execution_options(synchronize_session=False)
    )
    claimed = db.session.execute(
        select(Customer, Reseller)
        .join(BreachCustomer, BreachCustomer.customer_id == Customer.id)
        .join(Reseller, Reseller.id == BreachCustomer.reseller_id)
        .where(BreachCustomer.breach_id == breach.id, BreachCustomer.notified_at == now)
        .order_by(Reseller.id, Customer.id)
    ).all()
    sent: dict[int, int] = {}
    links: dict[int, str] = {}
    for customer, shop in claimed:
        if shop.id not in links:
            links[shop.id] = shop_url(shop, PRIVACY_PATH)
        context = notice_context(breach, shop, customer.name, links[shop.id])
        send_templated(shop, customer.email, NOTICE_KIND, about=customer, **context)
        sent[shop.id] = sent.get(shop.id, 0) + 1
    for shop_id, count in sent.items():
        reason = f"{count} notices queued"
        audit.record(f"staff:{staff_id}", role, shop_id, f"breach:{breach.id}", "send_breach_notices", reason)
    return NoticeRun(len(claimed), already or 0)
