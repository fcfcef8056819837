"""Placing an order from the cart: server prices, one order per idempotency key, invoice issued."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..branding.links import shop_url
from ..branding.shops import ShopLike
from ..domain_names import InvalidDomain, display_domain, normalise_domain, registrable_tld
from ..extensions import db
from ..mail.outbox import send_templated
from ..models import (
    Customer,
    DomainChoice,
    DomainOffer,
    Invoice,
    InvoiceStatus,
    LineKind,
    Order,
    OrderLine,
    Plan,
    PlanPrice,
    Service,
    ServiceStatus,
    Tld,
    utcnow,
)
from .account_credit import apply_account_credit, credit_balances
from .cart import CartLine, PricedCart
from .checkout_keys import key_fits
from .invoices import invoice_label, issue_invoice

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
STALE_FORM = (
    "This checkout page is out of date: your cart has changed since it was opened. "
    "Nothing was ordered; please check the items below and place your order again."
)


class CheckoutError(ValueError):
    """The checkout cannot go ahead; ``field_errors`` maps cart item ids to messages."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


class StaleCheckout(CheckoutError):
    """The form's key was made for another cart or another customer; nothing was ordered."""


@dataclass(frozen=True)
class DomainRequest:
    """The domain a customer names for one hosting item."""

    choice: DomainChoice
    domain: str


def place_order(
    shop: ShopLike,
    customer: Customer,
    cart: PricedCart,
    domains: dict[str, DomainRequest],
    idempotency_key: str,
    now: datetime | None = None,
) -> Order:
    """Create the order and its invoice in one transaction; a replayed key returns the first order.

    The customer's account credit pays the new invoice first, in full or in part.

    The key must fit this customer and this cart (see ``checkout_keys``), else StaleCheckout.
    """
    if not IDEMPOTENCY_KEY.match(idempotency_key or ""):
        raise CheckoutError("This checkout form has expired. Please review your cart and try again.")
    if not key_fits(shop, customer, cart, idempotency_key):
        return _placed_before(shop, customer, cart, idempotency_key)
    existing = _order_for_key(shop, customer, idempotency_key)
    if existing is not None:
        return existing
    _check_ready(customer, cart)
    order = Order(
        reseller_id=shop.id,
        customer_id=customer.id,
        currency=cart.currency,
        idempotency_key=idempotency_key,
        total_minor=0,
        created_at=now or utcnow(),
    )
    order.lines = _order_lines(shop, cart, domains)
    order.total_minor = sum(line.amount_minor for line in order.lines)
    db.session.add(order)
    try:
        db.session.flush()
    except IntegrityError:  # the same checkout submitted twice at once: the other one won
        db.session.rollback()
        return _order_for_key(shop, customer, idempotency_key) or _stale()
    invoice = issue_invoice(order, customer, now)
    db.session.flush()
    apply_account_credit(invoice, recorded_by=f"customer:{customer.id}", now=now)  # credit pays first
    _notify_order(shop, customer, order, invoice)
    db.session.commit()
    return order


def _order_for_key(shop: ShopLike, customer: Customer, key: str) -> Order | None:
    return db.session.scalar(
        select(Order).where(
            Order.reseller_id == shop.id, Order.customer_id == customer.id, Order.idempotency_key == key
        )
    )


def _placed_before(shop: ShopLike, customer: Customer, cart: PricedCart, key: str) -> Order:
    """The form sent again after its order emptied the cart gets that order; any other misfit is stale."""
    placed = None if cart.lines else _order_for_key(shop, customer, key)
    return placed or _stale()


def _stale() -> NoReturn:
    raise StaleCheckout(STALE_FORM)


def _check_ready(customer: Customer, cart: PricedCart) -> None:
    if customer.email_verified_at is None:
        raise CheckoutError("Please confirm your email address first; we have sent you a link.")
    if not cart.lines:
        raise CheckoutError("Your cart is empty.")


def _order_lines(shop: ShopLike, cart: PricedCart, domains: dict[str, DomainRequest]) -> list[OrderLine]:
    registration_prices = _registration_prices(shop)
    lines, errors = [], {}
    for cart_line in cart.lines:
        try:
            lines += _lines_for(shop, cart_line, domains.get(cart_line.item_id), registration_prices)
        except InvalidDomain as error:
            errors[cart_line.item_id] = str(error)
    if errors:
        raise CheckoutError("Please check the domain names below.", errors)
    return lines


def _registration_prices(shop: ShopLike) -> dict[str, tuple[int, int]]:
    rows = db.session.execute(
        select(DomainOffer.tld, DomainOffer.amount_minor, Tld.wholesale_minor)
        .join(Tld, Tld.name == DomainOffer.tld)
        .where(DomainOffer.reseller_id == shop.id)
    )
    return {tld: (retail, wholesale) for tld, retail, wholesale in rows}


def registration_tlds(shop: ShopLike) -> list[tuple[str, int]]:
    """Return the domain endings the shop registers with their yearly retail price, shortest first."""
    prices = _registration_prices(shop)
    return [(tld, prices[tld][0]) for tld in sorted(prices, key=lambda tld: (len(tld), tld))]


def invoice_of(order: Order) -> Invoice:
    """Return an order's invoice."""
    return db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))


def _lines_for(
    shop: ShopLike,
    cart_line: CartLine,
    request: DomainRequest | None,
    registration_prices: dict[str, tuple[int, int]],
) -> list[OrderLine]:
    if request is None:
        raise InvalidDomain("Please name the domain for this plan.")
    domain = normalise_domain(request.domain)
    plan = cart_line.offer.plan
    lines = [
        OrderLine(
            reseller_id=shop.id,
            kind=LineKind.HOSTING,
            plan_id=plan.id,
            cycle=cart_line.cycle,
            domain=domain,
            domain_choice=request.choice,
            amount_minor=cart_line.amount_minor,
            wholesale_minor=_wholesale(plan.id, cart_line),
            description=f"{plan.name} hosting for {display_domain(domain)}, "
            f"billed {cart_line.cycle.label.lower()}",
        )
    ]
    if request.choice == DomainChoice.REGISTER:
        retail, wholesale = registration_prices[registrable_tld(domain, set(registration_prices))]
        lines.append(
            OrderLine(
                reseller_id=shop.id,
                kind=LineKind.DOMAIN_REGISTRATION,
                domain=domain,
                amount_minor=retail,
                wholesale_minor=wholesale,
                description=f"Registration of {display_domain(domain)} for 1 year",
            )
        )
    return lines


def _wholesale(plan_id: int, cart_line: CartLine) -> int:
    amount = db.session.scalar(
        select(PlanPrice.amount_minor).where(PlanPrice.plan_id == plan_id, PlanPrice.cycle == cart_line.cycle)
    )
    # A wholesale price raised above the shop's retail price stops the sale until the shop reprices.
    if amount is None or amount > cart_line.amount_minor:
        raise InvalidDomain(
            f"{cart_line.offer.plan.name} cannot be ordered {cart_line.cycle.label.lower()} now."
        )
    return amount


def _notify_order(shop: ShopLike, customer: Customer, order: Order, invoice: Invoice) -> None:
    invoice_url = shop_url(shop, f"/account/invoices/{invoice.number}")
    context = {
        "customer_name": customer.name,
        "order": order,
        "invoice": invoice,
        "invoice_label": invoice_label(invoice.number),
        "invoice_url": invoice_url,
    }
    send_templated(shop, customer.email, "order_confirmation", about=customer, **context)
    send_templated(shop, customer.email, "invoice", about=customer, **context)


RECENT_ORDERS = 5


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """A service as the account overview lists it: the columns it shows, not the whole service and plan."""

    plan_name: str
    domain: str
    status: ServiceStatus


@dataclass(frozen=True)
class AccountSummary:
    """What the account overview shows."""

    orders: list[Order]
    unpaid_invoices: list[Invoice]
    services: list[ServiceLine]
    credit: list[tuple[str, int]]  # account credit per currency


# The account pages' queries, built once (building one costs more than running it).
_CUSTOMER_ORDERS = (
    select(Order)
    .where(Order.reseller_id == bindparam("shop_id"), Order.customer_id == bindparam("customer_id"))
    .order_by(Order.id.desc())
)
_LATEST_CUSTOMER_ORDERS = _CUSTOMER_ORDERS.limit(bindparam("limit", type_=Integer))
_CUSTOMER_INVOICES = (
    select(Invoice)
    .where(Invoice.reseller_id == bindparam("shop_id"), Invoice.customer_id == bindparam("customer_id"))
    .order_by(Invoice.number.desc())
)
_UNPAID_CUSTOMER_INVOICES = _CUSTOMER_INVOICES.where(Invoice.status == InvoiceStatus.ISSUED)
_CUSTOMER_SERVICES = (
    select(Service)
    .where(Service.reseller_id == bindparam("shop_id"), Service.customer_id == bindparam("customer_id"))
    .options(joinedload(Service.plan, innerjoin=True))
    .order_by(Service.id.desc())
)
_CUSTOMER_SERVICE_LINES = (
    select(Plan.name, Service.domain, Service.status)
    .join(Plan, Plan.id == Service.plan_id)
    .where(Service.reseller_id == bindparam("shop_id"), Service.customer_id == bindparam("customer_id"))
    .order_by(Service.id.desc())
)


def account_summary(shop: ShopLike, customer: Customer) -> AccountSummary:
    """Return the customer's recent orders, unpaid invoices, services and account credit."""
    return AccountSummary(
        orders=list_orders(shop, customer, limit=RECENT_ORDERS),
        unpaid_invoices=list_invoices(shop, customer, unpaid_only=True),
        services=[
            ServiceLine(*row)
            for row in db.session.execute(
                _CUSTOMER_SERVICE_LINES, {"shop_id": shop.id, "customer_id": customer.id}
            )
        ],
        credit=credit_balances(shop.id, customer.id),
    )


def list_orders(shop: ShopLike, customer: Customer, limit: int | None = None) -> list[Order]:
    """Return the customer's orders, newest first (the latest ``limit`` of them, if given)."""
    query = _CUSTOMER_ORDERS if limit is None else _LATEST_CUSTOMER_ORDERS
    return list(db.session.scalars(query, {"shop_id": shop.id, "customer_id": customer.id, "limit": limit}))


def list_invoices(shop: ShopLike, customer: Customer, *, unpaid_only: bool = False) -> list[Invoice]:
    """Return the customer's invoices (or only those still to pay), newest first."""
    query = _UNPAID_CUSTOMER_INVOICES if unpaid_only else _CUSTOMER_INVOICES
    return list(db.session.scalars(query, {"shop_id": shop.id, "customer_id": customer.id}))


def find_invoice(shop: ShopLike, customer: Customer, number: int) -> Invoice | None:
    """Return one of the customer's invoices by its number in this shop."""
    return db.session.scalar(
        select(Invoice).where(
            Invoice.reseller_id == shop.id, Invoice.customer_id == customer.id, Invoice.number == number
        )
    )


def list_services(shop: ShopLike, customer: Customer) -> list[Service]:
    """Return the customer's hosting services, newest first, with their plans."""
    return list(db.session.scalars(_CUSTOMER_SERVICES, {"shop_id": shop.id, "customer_id": customer.id}))
