"""Finding the shop a host name belongs to, as a read-only snapshot."""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import bindparam, select

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
_ACTIVE_SHOPS = select(*SHOP_COLUMNS).where(Reseller.active.is_(True))
# Built once: constructing these statements costs more than running them.
_BY_SLUG = _ACTIVE_SHOPS.where(Reseller.slug == bindparam("slug"))
_BY_DOMAIN = _ACTIVE_SHOPS.join(Domain, Domain.reseller_id == Reseller.id).where(
    Domain.hostname == bindparam("hostname"), Domain.verified_at.is_not(None)
)


def find_shop(host: str, base_domain: str) -> Shop | None:
    """Return the active shop a normalised host belongs to, if any."""
    slug = host.removesuffix(f".{base_domain}")
    # A plain Core query on a pooled connection of its own: this runs on every request,
    # and a page served from the cache then needs no session at all.
    with db.engine.connect() as connection:
        if slug != host and "." not in slug:
            row = connection.execute(_BY_SLUG, {"slug": slug}).first()
        else:
            row = connection.execute(_BY_DOMAIN, {"hostname": host}).first()
    return Shop(*row) if row else None


ShopLike = Shop | Reseller
