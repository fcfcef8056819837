"""Finding the shop a host name belongs to, as a read-only snapshot."""

from __future__ import annotations

from dataclasses import dataclass, fields
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, bindparam, select

from ..extensions import db
from ..models import Domain, Reseller


@dataclass(frozen=True, slots=True)
class Shop:
    """A read-only snapshot of the reseller a request is for, taken once per request."""

    id: int
    slug: str
    revision: int
    brand_name: str
    legal_name: str
    tagline: str
    postal_address: str
    theme: str
    color_primary: str
    color_accent: str
    color_background: str
    color_text: str
    logo_etag: str | None
    logo_mime: str | None
    support_email: str
    support_phone: str
    support_hours: str
    first_response_hours: int
    follow_up_hours: int
    escalation_persona: str
    privacy_notice_version: int
    timezone: str
    currency: str
    bank_name: str
    bank_account_name: str
    bank_account_number: str


SHOP_COLUMNS = [Reseller.__table__.c[field.name] for field in fields(Shop)]
# Built once: constructing these statements costs more than running them. Every request asks which
# shop and revision its host is; the whole shop is read once per revision (see find_shop).
_ACTIVE_SHOPS = select(Reseller.id, Reseller.revision).where(Reseller.active.is_(True))
_BY_SLUG = _ACTIVE_SHOPS.where(Reseller.slug == bindparam("slug"))
_BY_DOMAIN = _ACTIVE_SHOPS.join(Domain, Domain.reseller_id == Reseller.id).where(
    Domain.hostname == bindparam("hostname"), Domain.verified_at.is_not(None)
)
_BY_ID = select(*SHOP_COLUMNS).where(Reseller.id == bindparam("shop_id"), Reseller.active.is_(True))
# Snapshots kept for each database by (shop id, revision); old revisions go with the rest when it fills up.
SNAPSHOTS_KEPT = 1024
_snapshots: WeakKeyDictionary[Engine, dict[tuple[int, int], Shop]] = WeakKeyDictionary()


def find_shop(host: str, base_domain: str) -> Shop | None:
    """Return the active shop a normalised host belongs to, if any.

    Any change to a shop's own row moves its revision on (models/revisions.py), so a snapshot read
    at one revision stays right for it: the query each request makes reads two numbers, not the
    whole shop.
    """
    slug = host.removesuffix(f".{base_domain}")
    # A plain Core query on a pooled connection of its own: this runs on every request,
    # and a page served from the cache then needs no session at all.
    engine = db.engine
    with engine.connect() as connection:
        if slug != host and "." not in slug:
            found = connection.execute(_BY_SLUG, {"slug": slug}).first()
        else:
            found = connection.execute(_BY_DOMAIN, {"hostname": host}).first()
        if found is None:
            return None
        kept = _snapshots.get(engine)
        if kept is None:
            kept = _snapshots[engine] = {}
        shop = kept.get((found.id, found.revision))
        if shop is None:
            shop = _read_shop(connection, found.id, kept)
    return shop


def _read_shop(connection: Connection, shop_id: int, kept: dict[tuple[int, int], Shop]) -> Shop | None:
    """Read the whole shop; keep it under the revision it was read at (at times a later one than asked)."""
    row = connection.execute(_BY_ID, {"shop_id": shop_id}).first()
    if row is None:  # deactivated since
        return None
    shop = Shop(*row)
    if len(kept) >= SNAPSHOTS_KEPT:
        kept.clear()
    kept[shop.id, shop.revision] = shop
    return shop


ShopLike = Shop | Reseller
