"""A shop's versioned privacy notice: the current text, its history, publishing and acceptance.

A shop that has published nothing yet shows a default text as version 1; the first
publication keeps that text as version 1 so that every version a customer accepted stays
readable. Publishing moves ``Reseller.privacy_notice_version``, which bumps the shop's
revision, so a cached ``/privacy`` page is never stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..branding.shops import ShopLike
from ..extensions import db
from ..identity.customers import notice_acceptance
from ..models import Customer, PrivacyNotice, Reseller, TeamMember
from ..paging import PageCount

SYSTEM = "system"
SYSTEM_PUBLISHER = "Set up with the shop"
# A customer many versions behind sees what changed in this many of the latest versions.
MAX_CHANGES_SHOWN = 20


class NoticeError(ValueError):
    """A publication the rules refuse; the message says why in plain words."""


@dataclass(frozen=True)
class Notice:
    """One version of a shop's privacy notice, as people read it."""

    version: int
    body: str
    changes: str
    published_at: datetime
    published_by: str

    @property
    def paragraphs(self) -> list[list[str]]:
        """The body split into paragraphs at blank lines, each a list of its lines."""
        blocks = "\n".join(line.rstrip() for line in self.body.splitlines()).split("\n\n")
        return [[line for line in block.split("\n") if line] for block in blocks if block.strip()]


@dataclass(frozen=True)
class NoticeSummary:
    """A version in the history: when, by whom and what changed (no body)."""

    version: int
    published_at: datetime
    publisher: str
    changes: str


@dataclass(frozen=True)
class NoticeHistory(PageCount):
    """A page of a shop's notice versions, newest first."""

    per_page = 50
    versions: list[NoticeSummary]
    total: int
    page: int


def default_body(legal_name: str, brand_name: str) -> str:
    """The notice a shop has until its owner publishes its own."""
    return DEFAULT_BODY.format(legal_name=legal_name, brand_name=brand_name)


DEFAULT_BODY = """\
Our service providers, such as the companies that run our servers and the domain registries, \
handle your data only on our instructions and for the purposes below.

What we collect, and why

- Your name, email address and password (stored only as a one-way hash), to open and protect \
your account.
- Your orders, invoices and payments, to provide the services you buy and to keep the accounting \
records the law requires.
- Domain registration details, because domain registries require the registrant's contact details.
- Your support tickets and emails, to help you and to keep a record of what we agreed.

We ask only for what an order needs. Marketing messages are sent only if you agree, and you can \
withdraw that agreement at any time.

Who sees it

Only our staff who need it for their work, and each access is logged. We disclose data outside \
{brand_name} only with your consent, after telling you, or when the law requires it, and we \
record every disclosure.

How long we keep it

We keep your account while it is open. After it is closed we keep invoices as long as tax law \
requires and remove or anonymise the rest.

See and correct your data

You may ask to see the personal data we hold about you and to have it corrected. Once signed in, \
your account pages show your data and let you fix your profile; for anything else, write to us \
and we will answer within 21 days."""


def _from_row(row: PrivacyNotice) -> Notice:
    return Notice(row.version, row.body, row.changes, row.created_at, row.published_by)


def _default_notice(shop: ShopLike) -> Notice:
    created_at = db.session.scalar(select(Reseller.created_at).where(Reseller.id == shop.id))
    body = default_body(shop.legal_name, shop.brand_name)
    return Notice(1, body, "The first version.", created_at, SYSTEM)


def _row(shop: ShopLike, version: int) -> PrivacyNotice | None:
    return db.session.scalar(
        select(PrivacyNotice).where(PrivacyNotice.reseller_id == shop.id, PrivacyNotice.version == version)
    )


def current_notice(shop: ShopLike) -> Notice:
    """Return the version of the notice the shop shows now (the default text until one is published)."""
    return find_notice(shop, shop.privacy_notice_version) or _default_notice(shop)


def find_notice(shop: ShopLike, version: int) -> Notice | None:
    """Return one version of the shop's notice; None for a version the shop never had."""
    row = _row(shop, version)
    if row is not None:
        return _from_row(row)
    if version == 1 and not _has_rows(shop):
        return _default_notice(shop)
    return None


def _has_rows(shop: ShopLike) -> bool:
    return (
        db.session.scalar(select(PrivacyNotice.id).where(PrivacyNotice.reseller_id == shop.id).limit(1))
        is not None
    )


def _publishers(rows) -> dict[str, str]:
    """Who published ``rows``, by their ``published_by``: a team member's name, or the shop's set-up."""
    names = {SYSTEM: SYSTEM_PUBLISHER}
    ids = {
        int(row.published_by.removeprefix("team:")) for row in rows if row.published_by.startswith("team:")
    }
    if ids:
        members = db.session.execute(select(TeamMember.id, TeamMember.name).where(TeamMember.id.in_(ids)))
        names |= {f"team:{member_id}": name for member_id, name in members}
    return names


def notice_history(shop: ShopLike, page: int) -> NoticeHistory:
    """Return a page of the shop's notice versions, newest first, in a fixed number of queries."""
    total = db.session.scalar(select(func.count()).where(PrivacyNotice.reseller_id == shop.id))
    if not total:
        default = _default_notice(shop)
        only = NoticeSummary(default.version, default.published_at, SYSTEM_PUBLISHER, default.changes)
        return NoticeHistory([only] if page == 1 else [], 1, page)
    rows = db.session.execute(
        select(
            PrivacyNotice.version, PrivacyNotice.created_at, PrivacyNotice.published_by, PrivacyNotice.changes
        )
        .where(PrivacyNotice.reseller_id == shop.id)
        .order_by(PrivacyNotice.version.desc())
        .limit(NoticeHistory.per_page)
        .offset((page - 1) * NoticeHistory.per_page)
    ).all()
    names = _publishers(rows)
    versions = [
        NoticeSummary(row.version, row.created_at, names.get(row.published_by, ""), row.changes)
        for row in rows
    ]
    return NoticeHistory(versions, total, page)


def publish_notice(shop: ShopLike, body: str, changes: str, publisher: str) -> Notice:
    """Add the next version of the shop's notice and make it current; the caller audits and commits.

    The default text a shop had until now is kept as version 1 first. The current text again (a
    double submit, say) is refused: returning customers would be asked to read nothing new.
    """
    reseller = db.session.scalar(
        select(Reseller)
        .where(Reseller.id == shop.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    current = current_notice(reseller)
    if current.body == body:
        raise NoticeError(f"Version {current.version} already has this text, so nothing new was published.")
    if reseller.privacy_notice_version == 1 and not _has_rows(shop):
        db.session.add(_row_from(shop, _default_notice(shop)))
    notice = PrivacyNotice(
        reseller_id=shop.id,
        version=reseller.privacy_notice_version + 1,
        body=body,
        changes=changes,
        published_by=publisher,
    )
    db.session.add(notice)
    reseller.privacy_notice_version = notice.version
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise NoticeError(
            "Another version was published at the same moment. Please look and try again."
        ) from None
    return _from_row(notice)


def _row_from(shop: ShopLike, notice: Notice) -> PrivacyNotice:
    return PrivacyNotice(
        reseller_id=shop.id,
        version=notice.version,
        body=notice.body,
        changes=notice.changes,
        published_by=notice.published_by,
        created_at=notice.published_at,
    )


def changes_since(shop: ShopLike, version: int) -> list[NoticeSummary]:
    """What changed in each version after ``version``, newest first (the latest few)."""
    rows = db.session.execute(
        select(PrivacyNotice.version, PrivacyNotice.created_at, PrivacyNotice.changes)
        .where(
            PrivacyNotice.reseller_id == shop.id,
            PrivacyNotice.version > version,
            PrivacyNotice.version <= shop.privacy_notice_version,
        )
        .order_by(PrivacyNotice.version.desc())
        .limit(MAX_CHANGES_SHOWN)
    )
    return [NoticeSummary(row.version, row.created_at, "", row.changes) for row in rows]


def review_due(shop: ShopLike, customer: Customer) -> bool:
    """True when the shop has a version of its notice the customer has not accepted."""
    return customer.privacy_notice_version < shop.privacy_notice_version


def accept_current_notice(shop: ShopLike, customer: Customer) -> bool:
    """Record that the customer read the shop's current notice; False (and nothing new) if they had.

    The conditional update lets only one of two simultaneous clicks record the acceptance.
    """
    version = shop.privacy_notice_version
    moved = db.session.execute(
        update(Customer)
        .where(Customer.id == customer.id, Customer.privacy_notice_version < version)
        .values(privacy_notice_version=version)
    )
    if moved.rowcount != 1:
        return False
    db.session.add(notice_acceptance(shop, customer, version))
    db.session.commit()
    return True
