"""Filling shops with rows of every numbered kind, so that global ids run far ahead of any shop's numbers."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from sqlalchemy import func, insert, select

from storefront.extensions import db
from storefront.models import (
    BillingCycle,
    CorrectionRequest,
    Customer,
    Domain,
    Invoice,
    LineKind,
    Order,
    OrderLine,
    Plan,
    Reseller,
    Service,
    TeamInvitation,
    TeamMember,
    TeamRole,
    Ticket,
    utcnow,
)

# Every kind a shop numbers, as the filler and the check see them.
NUMBERED = (Customer, TeamMember, TeamInvitation, Domain, Order, Invoice, Service, Ticket, CorrectionRequest)
_INTEGER = re.compile(r"(?<![\w.])\d+(?![\w])")


def _rows(count: int, make) -> list[dict]:
    return [make(index) for index in range(count)]


def _insert(model, rows: list[dict]) -> list[int]:
    return list(db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))


def _fill_one(shop: Reseller, count: int, plan_id: int) -> None:
    now, tag = utcnow(), secrets.token_hex(3)
    base = {"reseller_id": shop.id}
    person = {**base, "password_hash": "!", "auth_epoch": 0}
    customers = _insert(
        Customer,
        _rows(count, lambda i: {**person, "email": f"fill{tag}{i}@example.com", "name": f"Filler {i}"}),
    )
    member = {**person, "role": TeamRole.AGENT}
    _insert(TeamMember, _rows(count, lambda i: {**member, "email": f"m{tag}{i}@example.com", "name": "M"}))
    invitation = {**base, "name": "I", "role": TeamRole.AGENT, "expires_at": now + timedelta(days=1)}
    _insert(
        TeamInvitation,
        _rows(
            count,
            lambda i: {**invitation, "email": f"i{tag}{i}@example.com", "token_hash": secrets.token_hex(32)},
        ),
    )
    _insert(
        Domain, _rows(count, lambda i: {**base, "hostname": f"f{tag}{i}.example", "verification_token": "t"})
    )
    sale = {**base, "currency": "MYR", "total_minor": 100, "status": "pending_payment"}
    orders = _insert(
        Order,
        _rows(
            count,
            lambda i: {**sale, "customer_id": customers[i], "idempotency_key": f"fill-{tag}-{i:06d}-key"},
        ),
    )
    line = {
        **base,
        "kind": LineKind.HOSTING,
        "plan_id": plan_id,
        "cycle": BillingCycle.MONTHLY,
        "amount_minor": 100,
        "wholesale_minor": 50,
    }
    lines = _insert(
        OrderLine,
        _rows(count, lambda i: {**line, "order_id": orders[i], "domain": "x.example", "description": "x"}),
    )
    paper = {**base, "currency": "MYR", "total_minor": 100, "seller_name": "S", "seller_address": "A"}
    invoice = {**paper, "buyer_name": "B", "buyer_email": "b@example.com", "issued_at": now}
    _insert(Invoice, _rows(count, lambda i: {**invoice, "order_id": orders[i], "customer_id": customers[i]}))
    service = {**base, "plan_id": plan_id, "cycle": BillingCycle.MONTHLY, "domain": "x.example"}
    _insert(
        Service, _rows(count, lambda i: {**service, "order_line_id": lines[i], "customer_id": customers[i]})
    )
    ticket = {**base, "subject": "Filler", "created_at": now, "updated_at": now}
    _insert(
        Ticket,
        _rows(
            count, lambda i: {**ticket, "customer_id": customers[i], "reply_token": secrets.token_urlsafe(18)}
        ),
    )
    ask = {**base, "record": "other", "details": "Filler", "due_at": now + timedelta(days=21)}
    _insert(CorrectionRequest, _rows(count, lambda i: {**ask, "customer_id": customers[i]}))


def fill_shops(app, slugs: tuple[str, ...], count: int) -> dict[str, int]:
    """Give each shop ``count`` rows of every numbered kind, through bulk inserts; return each
    numbered table's highest id after the filling."""
    with app.app_context():
        plan_id = db.session.scalar(select(Plan.id).where(Plan.code == "starter"))
        for slug in slugs:
            _fill_one(db.session.scalar(select(Reseller).where(Reseller.slug == slug)), count, plan_id)
        db.session.commit()
        return {model.__tablename__: db.session.scalar(select(func.max(model.id))) for model in NUMBERED}


def global_ids(app, slug: str) -> dict[str, dict[int, int]]:
    """Return, per numbered table, each of the shop's rows as id -> shop number."""
    with app.app_context():
        reseller_id = db.session.scalar(select(Reseller.id).where(Reseller.slug == slug))
        return {
            model.__tablename__: dict(
                db.session.execute(
                    select(model.id, model.number).where(model.reseller_id == reseller_id)
                ).all()
            )
            for model in NUMBERED
        }


def integers_in(text: str) -> set[int]:
    """Return the whole numbers written in a text (not parts of words, hex strings or decimals)."""
    return {int(found) for found in _INTEGER.findall(text) if len(found) < 12}
