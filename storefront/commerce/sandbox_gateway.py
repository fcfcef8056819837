"""The sandbox card gateway: a hosted payment page and a signed callback, like a real gateway's.

Callbacks carry ``Sandbox-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">``.
A callback counts only with a valid signature, a timestamp within the tolerance, an
event id never seen before, and the amount, currency, shop and invoice of an unpaid
invoice; anything else leaves the invoice as it was.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Invoice, PaymentEvent
from ..whole_numbers import MAX_ID, whole_number
from .payments import SANDBOX_CARD, InvoiceClosed, PaymentRefused, record_payment
from .refunds import note_refund_due

SUCCEEDING_CARD = "4242424242424242"
MAX_BODY = 16 * 1024
SIGNATURE = re.compile(r"[0-9a-f]{64}")  # hex SHA-256: anything else is refused before compare_digest
LATEST_TIMESTAMP = 2**40  # far past any real clock, well inside what int() and the arithmetic take


class CallbackRejected(ValueError):
    """A callback that changes nothing; ``status`` is the HTTP answer.

    ``money_taken`` marks a charge the gateway made that the invoice refused: a refund to make.
    """

    def __init__(self, message: str, status: int = 400, *, money_taken: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.money_taken = money_taken


def _secret() -> bytes:
    configured = current_app.config.get("SANDBOX_GATEWAY_SECRET")
    if configured:
        return configured.encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"sandbox-gateway", hashlib.sha256).digest()


def signature_header(body: bytes, timestamp: int) -> str:
    """Return the signature header a sandbox callback carries for ``body`` sent at ``timestamp``."""
    digest = hmac.new(_secret(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def checkout_token(shop_id: int, invoice_number: int) -> str:
    """Return the token of a hosted payment page for one invoice."""
    return URLSafeTimedSerializer(_secret(), salt="sandbox-checkout").dumps([shop_id, invoice_number])


def read_checkout_token(token: str) -> tuple[int, int] | None:
    """Return (shop id, invoice number) from a live payment page token, else None."""
    try:
        shop_id, number = URLSafeTimedSerializer(_secret(), salt="sandbox-checkout").loads(
            token, max_age=3600
        )
    except (BadSignature, ValueError, TypeError):
        return None
    return int(shop_id), int(number)


def charge(invoice: Invoice, card_number: str, now: float | None = None) -> tuple[bytes, str]:
    """Run a test charge (at unix time ``now``, else the present) and return the callback the gateway
    sends: its body and signature."""
    at = int(time.time() if now is None else now)
    succeeded = "".join(card_number.split()) == SUCCEEDING_CARD
    event = {
        "id": f"evt_{secrets.token_hex(12)}",
        "type": "payment.succeeded" if succeeded else "payment.failed",
        "created": at,
        "data": {
            "shop": invoice.reseller_id,
            "invoice": invoice.number,
            "amount": invoice.amount_due_minor,
            "currency": invoice.currency,
            "charge": f"ch_{secrets.token_hex(10)}",
        },
    }
    body = json.dumps(event, separators=(",", ":")).encode()
    return body, signature_header(body, at)


@dataclass(frozen=True)
class CallbackOutcome:
    """What a verified callback did."""

    event_id: str
    result: str


def _verify_signature(body: bytes, header: str, now: float) -> None:
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp = whole_number(parts.get("t"), most=LATEST_TIMESTAMP)
    if timestamp is None or not SIGNATURE.fullmatch(parts.get("v1", "")):
        raise CallbackRejected("missing or malformed signature")
    expected = signature_header(body, timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts["v1"]):
        raise CallbackRejected("signature does not match")
    if abs(now - timestamp) > current_app.config["SANDBOX_CALLBACK_TOLERANCE_SECONDS"]:
        raise CallbackRejected("timestamp outside the tolerance")


def _parse_event(body: bytes) -> dict:
    try:
        event = json.loads(body)
        data = event["data"]
        if not (isinstance(event["id"], str) and 0 < len(event["id"]) <= 120):
            raise ValueError
        for key in ("shop", "invoice", "amount"):
            if type(data[key]) is not int or not 0 <= data[key] <= MAX_ID:
                raise ValueError
        if not isinstance(data["currency"], str) or not isinstance(event["type"], str):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise CallbackRejected("malformed event") from None
    return event


def handle_callback(shop_id: int, body: bytes, header: str, now: float | None = None) -> CallbackOutcome:
    """Verify and apply a callback that arrived at a shop (at unix time ``now``, else the present); raise
    CallbackRejected when it changes nothing.

    The event id is stored in the same transaction as its effect, so a failure part-way
    stores nothing and the gateway's retry is applied as new; a refusal is stored too,
    so a replay of it is a duplicate.
    """
    if len(body) > MAX_BODY:
        raise CallbackRejected("event too large", 413)
    now = time.time() if now is None else now
    _verify_signature(body, header, now)
    event = _parse_event(body)
    data = event["data"]
    invoice = db.session.scalar(
        select(Invoice).where(Invoice.reseller_id == shop_id, Invoice.number == data["invoice"])
    )
    record = PaymentEvent(
        gateway=SANDBOX_CARD.code,
        event_id=event["id"],
        reseller_id=shop_id,
        invoice_id=invoice.id if invoice else None,
        outcome="received",
    )
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return CallbackOutcome(event["id"], "duplicate")
    try:
        record.outcome = _settle(event, data, shop_id, invoice, datetime.fromtimestamp(now, UTC))
    except CallbackRejected as error:
        db.session.rollback()
        _store_refusal(event, shop_id, invoice, error)
        raise
    db.session.commit()
    return CallbackOutcome(event["id"], record.outcome)


def _store_refusal(event: dict, shop_id: int, invoice: Invoice | None, error: CallbackRejected) -> None:
    """Store the refused event once; a charge the gateway made becomes a refund to make with it."""
    db.session.add(
        PaymentEvent(
            gateway=SANDBOX_CARD.code,
            event_id=event["id"],
            reseller_id=shop_id,
            invoice_id=invoice.id if invoice else None,
            outcome=f"refused: {error}"[:200],
        )
    )
    if error.money_taken and invoice is not None:
        data = event["data"]
        charge = data.get("charge")
        reference = charge if isinstance(charge, str) and 0 < len(charge) <= 120 else event["id"]
        note_refund_due(
            invoice, SANDBOX_CARD.code, event["id"], reference, data["amount"], data["currency"], str(error)
        )
    try:
        db.session.commit()
    except IntegrityError:  # the same event, refused at the same moment
        db.session.rollback()


def _settle(event: dict, data: dict, shop_id: int, invoice: Invoice | None, now: datetime) -> str:
    """Apply the event to the invoice in the open transaction; return the outcome to store."""
    if data["shop"] != shop_id or invoice is None:
        raise CallbackRejected("unknown invoice for this shop")
    if event["type"] != "payment.succeeded":
        return "declined"
    try:
        record_payment(
            invoice,
            SANDBOX_CARD,
            data.get("charge") or event["id"],
            data["amount"],
            data["currency"],
            recorded_by="sandbox card gateway",
            commit=False,
            now=now,
        )
    except InvoiceClosed as error:
        raise CallbackRejected(str(error), 409, money_taken=True) from None
    except PaymentRefused as error:
        raise CallbackRejected(str(error), money_taken=True) from None
    return "paid"
