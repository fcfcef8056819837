"""Customer accounts of one shop: sign-up, email verification, sign-in, password reset, profile.

Asking for a reset link is in ``password_resets``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..branding.links import shop_url
from ..branding.shops import ShopLike
from ..extensions import db
from ..mail.outbox import send_templated
from ..mail.rendering import render_email
from ..models import Customer, NoticeAcceptance, TokenPurpose, utcnow
from ..models.account import hash_password, verified
from .tokens import consume_token, issue_token, revoke_tokens


def notice_acceptance(shop: ShopLike, customer: Customer, version: int) -> NoticeAcceptance:
    """Return the record that ``customer`` accepted version ``version`` of the shop's privacy notice."""
    return NoticeAcceptance(
        reseller_id=shop.id, customer_id=customer.id, version=version, request_id=audit.request_id()
    )


def record_acceptance(shop: ShopLike, customer: Customer) -> None:
    """Note that a new customer accepts the shop's current notice; the caller commits."""
    customer.privacy_notice_version = shop.privacy_notice_version
    db.session.add(notice_acceptance(shop, customer, shop.privacy_notice_version))


def find_customer(shop: ShopLike, email: str) -> Customer | None:
    """Return the shop's customer with this (normalised) email, if any."""
    return db.session.scalar(select(Customer).where(Customer.reseller_id == shop.id, Customer.email == email))


def sign_up(shop: ShopLike, name: str, email: str, password: str) -> None:
    """Open an account that accepts the shop's current privacy notice and email a verification link.

    A known email gets a notice instead (a closed account gets nothing), and no acceptance is
    recorded for that account. Every path answers the same, so sign-up does not reveal who has an
    account.
    """
    existing = find_customer(shop, email)
    if existing is not None:
        hash_password(password)  # as slow as opening the account
        if not existing.is_active:  # as slow as the notice, which a closed account does not get
            render_email(shop, "account_exists", {"customer_name": "", "sign_in_url": "", "reset_url": ""})
            return
        send_templated(
            shop,
            email,
            "account_exists",
            about=existing,
            customer_name=greeting_name(existing),
            sign_in_url=shop_url(shop, "/login"),
            reset_url=shop_url(shop, "/reset"),
        )
        db.session.commit()
        return
    customer = Customer(reseller_id=shop.id, name=name, email=email)
    customer.set_password(password)
    db.session.add(customer)
    try:
        db.session.flush()
    except IntegrityError:  # the same email signed up at the same moment
        db.session.rollback()
        return
    record_acceptance(shop, customer)
    _send_verification(shop, customer)
    db.session.commit()


def greeting_name(customer: Customer) -> str:
    """Return the name to greet the customer with in email: none until the address is confirmed.

    Until then the name is whatever the person who signed up typed, perhaps an advert meant for the
    address's real owner.
    """
    return customer.name if customer.email_verified_at is not None else ""


def _send_verification(shop: ShopLike, customer: Customer) -> None:
    token = issue_token(customer, TokenPurpose.VERIFY_EMAIL)
    verify_url = shop_url(shop, f"/verify/{token}")
    send_templated(
        shop, customer.email, "verify_email", about=customer, customer_name="", verify_url=verify_url
    )


def resend_verification(shop: ShopLike, customer: Customer) -> None:
    """Email a fresh verification link to a signed-in customer who has not verified yet."""
    if customer.email_verified_at is None:
        _send_verification(shop, customer)
        db.session.commit()


def verify_email(shop: ShopLike, token: str) -> Customer | None:
    """Mark the token's customer verified; None when the link is unknown, used or expired."""
    customer = consume_token(shop.id, token, TokenPurpose.VERIFY_EMAIL)
    if customer is not None and customer.email_verified_at is None:
        customer.email_verified_at = utcnow()
    db.session.commit()
    return customer


def authenticate(shop: ShopLike, email: str, password: str) -> Customer | None:
    """Return the shop's open customer account with these credentials, else None, in the same time
    either way; a closed account answers like a wrong password."""
    found = verified(find_customer(shop, email), password)
    return found if found is not None and found.is_active else None


def reset_password(shop: ShopLike, token: str, password: str) -> Customer | None:
    """Set a new password with a reset token, ending every session; None if the token is not live."""
    customer = consume_token(shop.id, token, TokenPurpose.RESET_PASSWORD)
    if customer is None or not customer.is_active:  # a closed account stays as it was closed
        db.session.rollback()
        return None
    customer.set_password(password)
    revoke_tokens(customer)
    customer.email_verified_at = customer.email_verified_at or utcnow()  # the link proved the address
    db.session.commit()
    return customer


def change_password(customer: Customer, current: str, new: str) -> bool:
    """Replace the password when the current one is right; every other session ends."""
    if not customer.check_password(current):
        return False
    customer.set_password(new)
    revoke_tokens(customer, TokenPurpose.RESET_PASSWORD)
    db.session.commit()
    return True


def update_profile(customer: Customer, name: str) -> None:
    """Save the customer's own profile details."""
    customer.name = name
    db.session.commit()


def sign_out_everywhere(customer: Customer) -> None:
    """End every session of the customer, this one included."""
    customer.end_sessions()
    db.session.commit()
