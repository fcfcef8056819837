"""A shop's record as platform admins make and change it: slug, brand, legal details, time zone.

The slug names the shop's own host under the platform's base domain (``acme.<base domain>``) until
it verifies a domain of its own, so it is a DNS label of 2 to 40 characters, unique, not one the
platform serves itself (``staff``, ``www``…) and not naming the platform. It is fixed once the shop
opens: links already emailed carry it, and a freed slug taken by another shop would send them there.
Every text reaches the shop's customers under the shop's brand, so it passes the white-label guard.
The shop's team edits its look and support contacts in the console; what a reseller is legally
(legal name, postal address) is set here. Callers audit and commit.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, fields
from zoneinfo import available_timezones

from flask import current_app
from sqlalchemy import func, select

from ..addresses import InvalidEmail, normalise_email
from ..extensions import db
from ..models import Reseller
from .white_label import WhiteLabelError, check_white_label

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$")
SLUG_RULE = "Use 2 to 40 lower-case letters, digits and hyphens for the slug, for example acme-hosting."
# Host labels the platform answers itself or that people would take for it; "new" is the desk's
# page for opening a shop.
RESERVED_SLUGS = frozenset(
    {
        "www", "staff", "console", "admin", "api", "mail", "webmail", "smtp", "imap", "pop", "mx", "ftp",
        "panel", "cpanel", "whm", "directadmin", "autodiscover", "autoconfig", "ns1", "ns2", "cdn",
        "static", "new",
    }
)  # fmt: skip
PHONE = re.compile(r"^\+?[0-9()\-. ]{6,40}$")
LIMITS = {"brand_name": 80, "legal_name": 160, "postal_address": 400, "support_phone": 40}


class ShopError(ValueError):
    """A shop record that cannot be saved as typed; the message tells a person why."""


@dataclass(frozen=True)
class ShopDraft:
    """A shop's details as typed on the desk or the command line."""

    brand_name: str
    legal_name: str
    support_email: str
    postal_address: str = ""
    support_phone: str = ""
    timezone: str = "Asia/Kuala_Lumpur"


def find_shop_by_slug(slug: str) -> Reseller | None:
    """Return the shop with a slug, active or not."""
    return db.session.scalar(select(Reseller).where(Reseller.slug == slug.strip().lower()))


def has_control_characters(text: str, *, allow_newlines: bool = False) -> bool:
    """True when text holds characters that draw nothing or reorder what is shown: C0, DEL and C1
    controls, bidi overrides and other format characters."""
    return any(
        unicodedata.category(char) in ("Cc", "Cf") and not (allow_newlines and char == "\n") for char in text
    )


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def checked_slug(slug: str) -> str:
    """Return a new shop's slug in its normal form, or raise ShopError: malformed, reserved, naming the
    platform, or another shop's."""
    slug = slug.strip().lower()
    if not SLUG.match(slug):
        raise ShopError(SLUG_RULE)
    if (
        slug in RESERVED_SLUGS
        or f"{slug}.{current_app.config['STOREFRONT_BASE_DOMAIN']}" == current_app.config["STAFF_HOST"]
    ):
        raise ShopError(f"The slug {slug} is kept for the platform's own addresses. Choose another.")
    if db.session.scalar(select(Reseller.id).where(Reseller.slug == slug).limit(1)) is not None:
        raise ShopError(f"Another shop already has the slug {slug}.")
    try:
        check_white_label(slug.replace("-", " "))
        check_white_label(slug.replace("-", ""))  # a host label reads as one word too
    except WhiteLabelError as error:
        raise ShopError(str(error)) from None
    return slug


def checked_draft(draft: ShopDraft, *, keep: Reseller | None = None) -> dict[str, str]:
    """Return the draft's values in their normal form, or raise ShopError with the first problem."""
    values = {field.name: getattr(draft, field.name).strip() for field in fields(ShopDraft)}
    for name in ("brand_name", "legal_name", "support_phone"):
        values[name] = " ".join(values[name].split())
    values["postal_address"] = "\n".join(
        " ".join(line.split()) for line in values["postal_address"].splitlines() if line.strip()
    )
    if not values["brand_name"]:
        raise ShopError("Enter the shop's brand name.")
    if not values["legal_name"]:
        raise ShopError("Enter the reseller's legal name, as it appears on invoices.")
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            raise ShopError(f"Keep the {name.replace('_', ' ')} to {limit} characters.")
    if any(has_control_characters(value, allow_newlines=True) for value in values.values()):
        raise ShopError("Plain text only, please: a field holds an invisible control character.")
    if values["support_phone"] and not PHONE.match(values["support_phone"]):
        raise ShopError("Use digits, spaces and + ( ) - . only for the phone, for example +60 3 1234 5678.")
    if values["timezone"] not in _time_zones():
        raise ShopError("Choose a time zone by its name, for example Asia/Kuala_Lumpur.")
    try:
        values["support_email"] = normalise_email(
            values["support_email"], allow_test_domains=current_app.config["EMAIL_ALLOW_TEST_DOMAINS"]
        )
    except InvalidEmail as error:
        raise ShopError(f"Please enter a valid support email address. {error}") from None
    taken = select(Reseller.id).where(func.lower(Reseller.support_email) == values["support_email"])
    if keep is not None:
        taken = taken.where(Reseller.id != keep.id)
    if db.session.scalar(taken.limit(1)) is not None:
        raise ShopError("Another shop already receives its mail at this support address.")
    try:
        for name in ("brand_name", "legal_name", "postal_address", "support_email", "support_phone"):
            check_white_label(values[name])
    except WhiteLabelError as error:
        raise ShopError(str(error)) from None
    return values


def new_shop(slug: str, draft: ShopDraft) -> Reseller:
    """Add a shop with the default theme and colours, in the caller's transaction."""
    reseller = Reseller(slug=checked_slug(slug), **checked_draft(draft))
    db.session.add(reseller)
    db.session.flush()
    return reseller


def change_shop(reseller: Reseller, draft: ShopDraft) -> list[tuple[str, str, str]]:
    """Change a shop's details in the caller's transaction; return (name, before, after) of each change."""
    values = checked_draft(draft, keep=reseller)
    changed = [(name, getattr(reseller, name), value) for name, value in values.items()]
    changed = [change for change in changed if change[1] != change[2]]
    for name, _, value in changed:
        setattr(reseller, name, value)
    return changed
