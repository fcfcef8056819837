"""A shop's yearly domain registration prices, one per domain ending the platform registers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from .. import audit
from ..branding.shops import ShopLike
from ..extensions import db
from ..models import DomainOffer, Tld
from ..money import format_money
from .pricing import PriceCell, read_price, show_saved


@dataclass
class DomainRow:
    """One domain ending the platform registers, with the shop's yearly retail price (if it sells it)."""

    tld: str
    offer: DomainOffer | None
    cell: PriceCell


def domain_key(tld: str) -> str:
    """Return the form field of a domain ending's yearly price."""
    return f"domain-{tld}"


def _domain_rows(shop: ShopLike, form: Mapping[str, str] | None) -> list[DomainRow]:
    tlds = list(db.session.scalars(select(Tld)))
    offers = {
        o.tld: o for o in db.session.scalars(select(DomainOffer).where(DomainOffer.reseller_id == shop.id))
    }
    rows = []
    for tld in sorted(tlds, key=lambda tld: (len(tld.name), tld.name)):
        offer = offers.get(tld.name)
        cell = PriceCell(domain_key(tld.name), tld.wholesale_minor, shop.currency)
        if form is not None and cell.key in form:  # an ending the form does not mention stays as saved
            read_price(cell, form[cell.key], tld.currency)
        else:
            show_saved(cell, offer.amount_minor if offer else None)
        rows.append(DomainRow(tld.name, offer, cell))
    return rows


def domain_price_list(shop: ShopLike) -> list[DomainRow]:
    """Return the shop's yearly domain registration prices as saved, shortest ending first."""
    return _domain_rows(shop, None)


def read_domain_form(shop: ShopLike, form: Mapping[str, str]) -> list[DomainRow]:
    """Return the domain prices as the owner submitted them, each refusal on its cell."""
    return _domain_rows(shop, form)


def save_domain_prices(shop: ShopLike, rows: list[DomainRow], actor: str) -> int:
    """Write valid domain prices in the caller's transaction (empty: not sold), audited; return changes."""
    notes = []
    for row in rows:
        amount, offer = row.cell.amount_minor, row.offer
        if offer is not None and amount is None:
            db.session.delete(offer)
        elif offer is None and amount is not None:
            db.session.add(
                DomainOffer(reseller_id=shop.id, tld=row.tld, amount_minor=amount, currency=row.cell.currency)
            )
        elif offer is not None and (offer.amount_minor, offer.currency) != (amount, row.cell.currency):
            offer.amount_minor, offer.currency = amount, row.cell.currency
        else:
            continue
        notes.append(
            f".{row.tld} " + (format_money(amount, row.cell.currency) if amount is not None else "not sold")
        )
    if notes:
        audit.record(actor, "owner", shop.id, f"reseller:{shop.id}", "domain_prices", "; ".join(notes))
    return len(notes)


def domain_preview(shop: ShopLike, tld: str, text: str) -> PriceCell | None:
    """Return the margin cell for a domain price being typed, without saving; None for an unknown ending."""
    found = db.session.get(Tld, tld)
    if found is None:
        return None
    cell = PriceCell(domain_key(found.name), found.wholesale_minor, shop.currency)
    return read_price(cell, text, found.currency)
