"""A second factor for staff and team members: TOTP set-up, codes at sign-in, single-use recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, or_, select, update

from .. import audit
from ..extensions import db
from ..models import RecoveryCode, StaffUser, TeamMember, utcnow

Account = StaffUser | TeamMember

STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/i/l: a code copied from paper reads one way only.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_GROUPS, RECOVERY_GROUP_LENGTH = 3, 4
# A reset is for someone else's lost factor; one's own is changed on one's own security page.
OWN_RESET_REFUSED = (
    "You cannot reset your own second factor here. Use your own security page to turn it off "
    "or to get new recovery codes."
)


class SecondFactorError(ValueError):
    """A second-factor change that cannot be made; the message says why."""


class NoSecondFactor(SecondFactorError):
    """A reset asked for on an account whose second factor is not on."""


class WrongCode(SecondFactorError):
    """The code given is not a current authenticator code or an unused recovery code."""

    def __init__(self) -> None:
        super().__init__("That code is not right. Enter the current code from your authenticator app.")


def new_secret() -> str:
    """Return a fresh random TOTP secret in base32."""
    return pyotp.random_base32()


def provisioning_uri(account: Account, issuer: str) -> str:
    """Return the otpauth:// URI an authenticator app scans; ``issuer`` is the name it shows.

    Colons and slashes split the URI's label, so they become spaces in the name.
    """
    issuer = " ".join(re.sub(r"[:/]", " ", issuer).split())
    return pyotp.TOTP(account.totp_secret).provisioning_uri(name=account.email, issuer_name=issuer)


def identity(account: Account) -> str:
    """Name the account the way recovery codes and the audit log do: staff:<id> or team:<id>."""
    return f"{account.identity_kind}:{account.id}"


def begin_enrolment(account: Account) -> str:
    """Store a new secret, not yet in force until a code from it is confirmed; return the secret."""
    if account.has_second_factor:
        raise SecondFactorError("A second factor is already on. Turn it off first to set up a new one.")
    account.totp_secret = new_secret()
    account.totp_last_step = None
    _record(account, "second_factor_setup")
    return account.totp_secret


def confirm_enrolment(account: Account, code: str, now: datetime | None = None) -> list[str]:
    """Turn the second factor on with a first code from the app; return fresh recovery codes to show once."""
    if account.has_second_factor or not account.totp_secret:
        raise SecondFactorError("Start the set-up first: there is no new key waiting for a code.")
    now = now or utcnow()
    if not _accept_totp(account, code, now):
        raise WrongCode()
    account.totp_enabled_at = now
    codes = _replace_recovery_codes(account)
    _record(account, "second_factor_on")
    return codes


def verify(account: Account, code: str, now: datetime | None = None) -> bool:
    """Accept a current TOTP code never used before, or an unused recovery code (which is then used up)."""
    if not account.has_second_factor:
        return False
    now = now or utcnow()
    cleaned = re.sub(r"\s", "", code or "")
    if re.fullmatch(r"[0-9]{6}", cleaned):
        return _accept_totp(account, cleaned, now)
    if _use_recovery_code(account, code, now):
        _record(account, "recovery_code_used")
        return True
    return False


def disable(account: Account, code: str, now: datetime | None = None) -> None:
    """Turn the second factor off, given a current code; the secret and recovery codes go."""
    if not verify(account, code, now):
        raise WrongCode()
    _clear(account)
    _record(account, "second_factor_off")


def reset(account: Account) -> None:
    """Take the second factor off an account that lost it, for someone else to do on its behalf.

    The key and every recovery code go and every session of the account ends, so it signs in
    again with its password alone (and sets up a new factor when one is required). The caller
    checks who may do this, writes the audit entry in their own name, and commits.
    """
    if not account.has_second_factor:
        raise NoSecondFactor(f"{account.name} has no second factor on, so there is nothing to reset.")
    _clear(account)
    account.end_sessions()


def regenerate_recovery_codes(account: Account, code: str, now: datetime | None = None) -> list[str]:
    """Replace every recovery code with new ones, given a current code; return them to show once."""
    if not verify(account, code, now):
        raise WrongCode()
    codes = _replace_recovery_codes(account)
    _record(account, "recovery_codes_new")
    return codes


def recovery_codes_left(account: Account) -> int:
    """Count the account's unused recovery codes."""
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.identity == identity(account), RecoveryCode.used_at.is_(None))
    )


def _clear(account: Account) -> None:
    """Forget the account's key, its last used step and its recovery codes."""
    account.totp_secret = None
    account.totp_enabled_at = None
    account.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.identity == identity(account)))


def _accept_totp(account: Account, code: str, now: datetime) -> bool:
    """Accept a code of the step before, now or after, later than the last accepted step; claim that step.

    The claim is one conditional UPDATE, so two requests racing with the same code cannot both win.
    """
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"[0-9]{6}", code) or not account.totp_secret:
        return False
    totp = pyotp.TOTP(account.totp_secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return _claim_step(account, step)
    return False


def _claim_step(account: Account, step: int) -> bool:
    model = type(account)
    claimed = db.session.execute(
        update(model)
        .where(model.id == account.id, or_(model.totp_last_step.is_(None), model.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    account.totp_last_step = step
    return True


def _use_recovery_code(account: Account, code: str, now: datetime) -> bool:
    """Mark the matching unused recovery code used; a racing second use finds it gone."""
    normalised = _normalise_recovery_code(code)
    if normalised is None:
        return False
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.identity == identity(account),
            RecoveryCode.code_hash == _hash(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return used.rowcount == 1


def _replace_recovery_codes(account: Account) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.identity == identity(account)))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(
        RecoveryCode(identity=identity(account), code_hash=_hash(code.replace("-", ""))) for code in codes
    )
    return codes


def _new_recovery_code() -> str:
    groups = (
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
        for _ in range(RECOVERY_GROUPS)
    )
    return "-".join(groups)


def _normalise_recovery_code(code: str) -> str | None:
    """Fold case and drop dashes and spaces; None when it cannot be a recovery code."""
    cleaned = re.sub(r"[\s\-]", "", (code or "")[:100]).lower()
    length = RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH
    if len(cleaned) != length or any(char not in RECOVERY_ALPHABET for char in cleaned):
        return None
    return cleaned


def _hash(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()


def _record(account: Account, action: str) -> None:
    reseller_id = account.reseller_id if isinstance(account, TeamMember) else None
    audit.record(identity(account), account.role.value, reseller_id, _subject(account), action)


def _subject(account: Account) -> str:
    kind = "team_member" if isinstance(account, TeamMember) else "staff_user"
    return f"{kind}:{account.id}"
