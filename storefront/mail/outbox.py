"""Queueing email: one OutboxMessage per email, added to the caller's transaction."""

from __future__ import annotations

import re
import secrets
from email.utils import formataddr, getaddresses

from sqlalchemy import select

from ..branding.shops import ShopLike
from ..extensions import db
from ..jobs import wake_after_commit
from ..models import Customer, Domain, OutboxMessage, Ticket
from .rendering import render_email

ADDRESS_MAX = 320
SUBJECT_MAX = 255
KIND_MAX = 40
# The background step that delivers the outbox, woken once the queueing transaction commits.
DELIVERY_STEP = "deliver_mail"
# Control characters, including the Unicode line breaks some mail software honours.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_PLAIN_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+")


def queue_email(
    shop: ShopLike,
    to: str,
    kind: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    *,
    about: Customer | Ticket | None,
    reply_to: str | None = None,
) -> OutboxMessage:
    """Add an email from ``shop`` to the session, to be sent when the caller's transaction commits.

    The commit wakes the delivery step; the step's periodic sweep sends the email should the
    wake-up be lost.

    ``about`` names whose personal data the email carries: the customer, or the ticket (of
    a customer or a guest) it is about; ``None`` only for an email about the shop's team.
    The link is how the retention purge reaches this copy. ``reply_to`` (a plain address,
    for example a ticket's reply address) replaces the shop's support address as Reply-To.
    """
    if not 0 < len(kind) <= KIND_MAX:
        raise ValueError(f"kind must be 1 to {KIND_MAX} characters")
    customer_id, ticket_id = _links(about)
    support = _plain_address(shop.support_email)
    message = OutboxMessage(
        reseller_id=shop.id,
        customer_id=customer_id,
        ticket_id=ticket_id,
        message_id=f"<{secrets.token_hex(16)}@{message_id_domain(shop)}>",
        from_address=_from_header(shop.brand_name, support),
        reply_to=_plain_address(reply_to) if reply_to else support,
        to_address=_single_recipient(to),
        subject=_one_line(subject)[:SUBJECT_MAX],
        text_body=text_body,
        html_body=html_body,
        kind=kind,
    )
    db.session.add(message)
    wake_after_commit(db.session, DELIVERY_STEP)
    return message


def send_templated(
    shop: ShopLike,
    to: str,
    template: str,
    *,
    about: Customer | Ticket | None,
    reply_to: str | None = None,
    **context: object,
) -> OutboxMessage:
    """Render ``email/<template>`` in the shop's brand and queue it, linked to whom it is ``about``."""
    subject, text_body, html_body = render_email(shop, template, context)
    return queue_email(shop, to, template, subject, text_body, html_body, about=about, reply_to=reply_to)


def outbox_row(
    shop: ShopLike,
    to: str,
    template: str,
    *,
    customer_id: int,
    message_domain: str,
    **context: object,
) -> dict[str, object]:
    """Render ``email/<template>`` in the shop's brand as the values of one outbox row about a customer,
    for a bulk insert of many emails; the caller inserts the rows and wakes delivery
    (``wake_after_commit(session, DELIVERY_STEP)``). ``message_domain`` is ``message_id_domain(shop)``,
    looked up once for the batch."""
    subject, text_body, html_body = render_email(shop, template, context)
    support = _plain_address(shop.support_email)
    return {
        "reseller_id": shop.id,
        "customer_id": customer_id,
        "ticket_id": None,
        "message_id": f"<{secrets.token_hex(16)}@{message_domain}>",
        "from_address": _from_header(shop.brand_name, support),
        "reply_to": support,
        "to_address": _single_recipient(to),
        "subject": _one_line(subject)[:SUBJECT_MAX],
        "text_body": text_body,
        "html_body": html_body,
        "kind": template,
    }


def _links(about: Customer | Ticket | None) -> tuple[int | None, int | None]:
    """Return the (customer id, ticket id) an email about ``about`` is linked to."""
    if about is None:
        return None, None
    if about.id is None:
        raise ValueError("flush the customer or ticket before queueing an email about it")
    if isinstance(about, Ticket):
        return about.customer_id, about.id
    return about.id, None


def _one_line(value: str) -> str:
    """Return ``value`` with every run of control characters collapsed to one space."""
    return _CONTROL.sub(" ", value).strip()


def _plain_address(address: str) -> str:
    """Return a bare address, or raise ValueError if it is anything more."""
    if not _PLAIN_ADDRESS.fullmatch(address) or len(address) > ADDRESS_MAX:
        raise ValueError(f"not a single plain email address: {address!r}")
    return address


def _single_recipient(to: str) -> str:
    """Return ``to`` as one well-formed address header value, or raise ValueError."""
    if _CONTROL.search(to):
        raise ValueError("the recipient may not contain line breaks or control characters")
    pairs = getaddresses([to])
    if len(pairs) != 1:
        raise ValueError("exactly one recipient is allowed")
    name, address = pairs[0]
    recipient = formataddr((name, _plain_address(address)))
    if len(recipient) > ADDRESS_MAX:
        raise ValueError("the recipient is too long")
    return recipient


def _from_header(brand_name: str, address: str) -> str:
    """Return ``Brand <address>`` encoded for a header, shortening a name too long to store."""
    name = _one_line(brand_name)
    while name and len(formataddr((name, address))) > ADDRESS_MAX:
        name = name[:-1]
    return formataddr((name, address))


def message_id_domain(shop: ShopLike) -> str:
    """Return the shop's primary verified host name, else its support address's domain."""
    hostname = db.session.scalar(
        select(Domain.hostname).where(
            Domain.reseller_id == shop.id,
            Domain.is_primary.is_(True),
            Domain.verified_at.is_not(None),
        )
    )
    return hostname or shop.support_email.rpartition("@")[2].lower()
