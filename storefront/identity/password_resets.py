"""Password reset requests: /reset records one row for any address; the delivery step writes the email.

Answering the request does the same work whether or not the shop has the account (one INSERT,
no look-up), so neither the answer nor its timing says who is a customer. The work that depends
on the account — finding it, making a token, writing the email — happens in ``storefront mail
send`` (and ``mail outbox``), which answers each request once and deletes it: a stranger's
address is kept only until then, and nobody without an account is ever mailed.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from ..branding.links import shop_url
from ..branding.shops import ShopLike
from ..extensions import db
from ..jobs import wake_after_commit
from ..mail.outbox import DELIVERY_STEP, send_templated
from ..models import PasswordResetRequest, Reseller, TokenPurpose
from .customers import find_customer, greeting_name
from .tokens import issue_token


def request_password_reset(shop: ShopLike, email: str) -> None:
    """Record that someone asked for a reset link to ``email``; the same work for any address."""
    db.session.add(PasswordResetRequest(reseller_id=shop.id, email=email))
    wake_after_commit(db.session, DELIVERY_STEP)  # the delivery step writes the email, then sends it
    db.session.commit()


def write_reset_emails(limit: int = 1000) -> int:
    """Answer up to ``limit`` waiting requests, oldest first, and return how many were answered.

    An open account gets a reset link; any other address gets nothing. Each request is claimed
    by deleting it in the transaction that writes its email, so overlapping runs answer it once.
    """
    answered = 0
    for _ in range(limit):
        request = _next_request()
        if request is None:
            break
        if _claim(request.id):
            _answer(request)
            answered += 1
        db.session.commit()
    return answered


def _next_request() -> PasswordResetRequest | None:
    # SKIP LOCKED lets two runs share the queue on PostgreSQL; SQLite has one writer at a time.
    query = select(PasswordResetRequest).order_by(PasswordResetRequest.id).limit(1)
    return db.session.scalars(query.with_for_update(skip_locked=True)).first()


def _claim(request_id: int) -> bool:
    deleted = db.session.execute(
        delete(PasswordResetRequest)
        .where(PasswordResetRequest.id == request_id)
        .execution_options(synchronize_session=False)
    )
    return deleted.rowcount == 1


def _answer(request: PasswordResetRequest) -> None:
    """Queue a reset link if the shop has an open account for the address; a closed one stays closed."""
    shop = db.session.get(Reseller, request.reseller_id)
    customer = find_customer(shop, request.email)
    if customer is None or not customer.is_active:
        return
    token = issue_token(customer, TokenPurpose.RESET_PASSWORD)
    send_templated(
        shop,
        customer.email,
        "reset_password",
        about=customer,
        customer_name=greeting_name(customer),
        reset_url=shop_url(shop, f"/reset/{token}"),
    )
