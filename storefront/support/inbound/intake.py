"""Email in: every arriving message is stored once, then threaded, opened as a ticket, or kept aside.

A message is the same message when both its Message-ID and its content (less the trace fields
each hop adds) match one stored before: it is stored once. A different message reusing a known
Message-ID is kept, quarantined, never swallowed. Mail kept aside names the one shop it was sent
to, when there is one, so that the shop's team sees it; the rest is for staff.

Runs outside requests, where no tenant is bound to the session, so every query names its
reseller explicitly.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError

from ...extensions import db
from ...mail.attachments import AttachmentLimits
from ...mail.parsing import (
    MalformedEmail,
    ParsedEmail,
    header_recipients,
    message_id_of,
    parse_email,
    summary_of,
)
from ...mail.rawmail import content_digest
from ...models import InboundEmail, InboundOutcome, bind_tenant, current_tenant
from .prescan import scan
from .routing import PLATFORM_NOTE, Filing, addressed_shop_ids, reply_token_of, route
from .sender_identity import SenderProof, sender_proof

__all__ = ["DATABASE_UNAVAILABLE", "PLATFORM_NOTE", "attachment_limits", "ingest", "reply_token_of"]

log = logging.getLogger(__name__)

# The database is down or the transaction could not finish: the sender should try again later.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
ADDRESS_MAX, SUBJECT_STORED_MAX, REASON_MAX = 320, 255, 300
REUSED_ID = "a different message with this Message-ID arrived before: kept aside, not filed"


def ingest(
    raw: bytes, *, envelope_to: list[str] | None = None, trusted_authserv_id: str | None = None
) -> InboundEmail:
    """Store one RFC 822 message and act on it; commits; raises only when the database fails.

    ``trusted_authserv_id`` names the server whose topmost Authentication-Results prove the
    sender (``mail serve`` passes its own); by default MAIL_TRUSTED_AUTHSERV_ID.
    """
    trusted = trusted_authserv_id or current_app.config["MAIL_TRUSTED_AUTHSERV_ID"]
    session = db.session
    bound = current_tenant(session)
    bind_tenant(session, None)  # mail for any shop may arrive; queries below name their reseller
    try:
        return _ingest(bytes(raw), list(envelope_to or []), trusted)
    finally:
        bind_tenant(session, bound)


def _stored(message_id: str, digest: str) -> InboundEmail | None:
    """Return the stored copy of this message (one stored before content was hashed counts too)."""
    query = (
        select(InboundEmail)
        .where(InboundEmail.message_id == message_id, InboundEmail.content_hash.in_((digest, "")))
        .order_by(InboundEmail.id)
        .limit(1)
    )
    return db.session.scalar(query)


def _rollback() -> None:
    with suppress(SQLAlchemyError):
        db.session.rollback()


def _ingest(raw: bytes, envelope_to: list[str], trusted: str | None) -> InboundEmail:
    message_id, digest = message_id_of(raw), content_digest(raw)
    existing = _stored(message_id, digest)
    if existing is not None:
        return existing
    try:
        record = _file(raw, message_id, digest, envelope_to, trusted)
        db.session.commit()
    except DATABASE_UNAVAILABLE:
        _rollback()
        raise
    except IntegrityError:
        _rollback()  # most likely the same message arriving twice at once
        return _stored(message_id, digest) or _keep_aside(
            raw, message_id, digest, envelope_to, "the database refused to store it"
        )
    except Exception:  # a bug must not lose the message: keep it aside
        _rollback()
        log.exception("inbound message %s could not be filed", message_id)
        reason = "could not be processed (an internal error)"
        return _keep_aside(raw, message_id, digest, envelope_to, reason)
    return record


def _keep_aside(
    raw: bytes, message_id: str, digest: str, envelope_to: list[str], reason: str
) -> InboundEmail:
    """Store the message as quarantined with ``reason``, and nothing else; commits."""
    record = _record(raw, message_id, digest, _held(raw, envelope_to, reason))
    try:
        db.session.commit()
    except IntegrityError:
        _rollback()  # most likely the same message, stored meanwhile by another receiver
        existing = _stored(message_id, digest)
        if existing is None:
            raise
        return existing
    return record


def _held(raw: bytes, envelope_to: list[str], reason: str) -> Filing:
    """Quarantine: for the one shop the message was sent to, if there is one, else for staff."""
    shops = addressed_shop_ids([*envelope_to, *header_recipients(raw)])
    return Filing(InboundOutcome.QUARANTINED, reason, shops[0] if len(shops) == 1 else None)


def _record(
    raw: bytes,
    message_id: str,
    digest: str,
    filing: Filing,
    email: ParsedEmail | None = None,
    proof: SenderProof | None = None,
) -> InboundEmail:
    """Add the InboundEmail row for a message and what became of it."""
    if email is not None:
        sender, recipients, subject = email.sender, ", ".join(email.recipients), email.subject
    else:
        summary = summary_of(raw)
        sender, recipients, subject = summary.sender, summary.recipients, summary.subject
    record = InboundEmail(
        message_id=message_id,
        content_hash=digest,
        from_address=sender[:ADDRESS_MAX],
        to_address=recipients[:ADDRESS_MAX],
        subject=subject[:SUBJECT_STORED_MAX],
        outcome=filing.outcome,
        reason=filing.reason[:REASON_MAX],
        sender_authenticated=bool(proof and proof.proven),
        authentication=proof.detail if proof else "",
        reseller_id=filing.reseller_id,
        ticket_id=filing.ticket_id,
        raw=raw,
    )
    db.session.add(record)
    return record


def _file(
    raw: bytes, message_id: str, digest: str, envelope_to: list[str], trusted: str | None
) -> InboundEmail:
    """Decide what the message is and act on it; the caller commits."""
    problem = _refusal(raw, message_id)
    if problem is not None:
        return _record(raw, message_id, digest, _held(raw, envelope_to, problem))
    try:
        email = parse_email(raw, envelope_to, attachment_limits())
    except MalformedEmail as error:
        return _record(raw, message_id, digest, _held(raw, envelope_to, f"malformed: {error}"))
    proof = sender_proof(email.authentication_results, email.sender, trusted)
    return _record(raw, message_id, digest, route(email, proof), email, proof)


def _refusal(raw: bytes, message_id: str) -> str | None:
    """Say why the message is kept aside before any full parse: a reused Message-ID, its size, its
    number of parts or their nesting."""
    if db.session.scalar(select(exists().where(InboundEmail.message_id == message_id))):
        return REUSED_ID
    config = current_app.config
    limit = config["INBOUND_MAX_BYTES"]
    if len(raw) > limit:
        return f"too large: {len(raw):,} bytes (the limit is {limit:,})"
    return scan(raw, config["INBOUND_MAX_PARTS"], config["INBOUND_MAX_DEPTH"]).problem


def attachment_limits() -> AttachmentLimits:
    """Return the configured attachment limits."""
    config = current_app.config
    return AttachmentLimits(config["INBOUND_MAX_ATTACHMENTS"], config["INBOUND_MAX_ATTACHMENT_BYTES"])
