"""The white-label guard: text that staff or a shop's team write never names the platform.

Every text that reaches a shop's customers or team from platform staff or the shop's owners
and team passes ``check_white_label`` first: ticket replies and notes, the brand, the support
contacts, the escalation persona, the privacy notice, correction answers, breach notices and
disclosure records, payment references. It knows the platform's name, legal name, domains,
support address and phones from configuration, and every active staff member's full name
and email from the database, and it sees through disguises: width and case (NFKC, casefold),
look-alike letters from other scripts (Unicode's confusables), accents, invisible characters,
letter spacing and punctuation ("web-server dot com dot my"). Phone numbers count when their
digits appear anywhere in a run of digits. Ordinary words stay free: the brand counts only as
one word ("WebServer", "Web.Server"), so "LiteSpeed Web Server" passes, and a staff member's
first name alone is not their full name.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import idna
import phonenumbers
from flask import current_app
from sqlalchemy import select
from wtforms import Field
from wtforms.validators import ValidationError

from ..extensions import db
from ..models import StaffUser

# Words people write instead of the punctuation of an address: "web server dot com dot my".
LINK_WORDS = frozenset({"dot", "at", "titik"})
# Characters that draw nothing or only decorate a letter: dropped before comparing.
DROPPED_CATEGORIES = frozenset({"Mn", "Me", "Cf"})
LETTERS = re.compile(r"[^\W\d_]+")
PUNYCODE_LABEL = re.compile(r"xn--[a-z0-9-]+", re.IGNORECASE | re.ASCII)
# Letters and digits that look alike even within Latin (I, l and 1; O and 0): one class each in words.
SAME_SHAPE = str.maketrans({"i": "l", "1": "l", "0": "o"})

# What a text can name, in the order a refusal lists them.
BRAND = "the platform's name"
LEGAL_NAME = "the platform's company name"
ADDRESS = "the platform's web or email address"
PHONE = "the platform's phone number"
STAFF_NAME = "a platform staff member's name"
STAFF_EMAIL = "a platform staff member's email address"
KINDS = (BRAND, LEGAL_NAME, ADDRESS, PHONE, STAFF_NAME, STAFF_EMAIL)


class WhiteLabelError(ValueError):
    """Text that would show a shop's customers or team who hosts the shop; the message says what to remove."""


@dataclass(frozen=True)
class Identifiers:
    """What names the platform, each already folded into the form the text is compared in."""

    words: dict[str, str]  # one word to find inside any word of the text -> what it is
    runs: dict[str, str]  # consecutive parts of the text that join to it -> what it is
    phones: dict[str, str]  # digits to find inside any run of digits -> what it is


def check_white_label(text: str | None) -> None:
    """Raise WhiteLabelError when ``text`` names the platform or its staff, in any disguise."""
    found = platform_mentions(text or "", platform_identifiers())
    if found:
        raise WhiteLabelError(
            f"Remove {_described(found)}, written in any form: customers must never learn who hosts the shop."
        )


def white_label_field(form: object, field: Field) -> None:
    """A form validator: the field's text must not name the platform or its staff."""
    try:
        check_white_label(field.data if isinstance(field.data, str) else "")
    except WhiteLabelError as error:
        raise ValidationError(str(error)) from None


def platform_mentions(text: str, identifiers: Identifiers) -> list[str]:
    """Return what ``text`` names of the platform (each kind once, in a fixed order); empty when nothing."""
    folded = fold(text)
    shapes = folded.translate(SAME_SHAPE)
    words = _joined_letter_spacing(["".join(filter(str.isalnum, chunk)) for chunk in shapes.split()])
    parts = _parts(folded)
    found = {what for word, what in identifiers.words.items() if any(word in w for w in words)}
    found |= {identifiers.runs[run] for run in _aligned_runs(parts, identifiers.runs)}
    digit_runs = [_digits(segment) for segment in LETTERS.split(folded)]
    found |= {what for phone, what in identifiers.phones.items() if any(phone in run for run in digit_runs)}
    return sorted(found, key=KINDS.index)


def platform_identifiers() -> Identifiers:
    """Return the platform's identifiers from configuration and its active staff from the database."""
    staff = db.session.execute(
        select(StaffUser.name, StaffUser.email).where(StaffUser.active.is_(True))
    ).all()
    return identifiers_from(current_app.config, staff)


def identifiers_from(config: Mapping, staff: Iterable[tuple[str, str]] = ()) -> Identifiers:
    """Fold the configured identifiers and the staff's names and emails for ``platform_mentions``."""
    words: dict[str, str] = {}
    runs: dict[str, str] = {}
    for name, email in staff:
        _add(runs, name, STAFF_NAME)
        _add(runs, email, STAFF_EMAIL)
    for address in [*config["PLATFORM_DOMAINS"], config["PLATFORM_SUPPORT_EMAIL"]]:
        _add(runs, address, ADDRESS)
    _add(runs, config.get("PLATFORM_LEGAL_NAME") or "", LEGAL_NAME)
    brand = _parts(fold(config["PLATFORM_NAME"]))
    if len(brand) == 1:
        words[brand[0]] = BRAND
    else:
        _add(runs, config["PLATFORM_NAME"], BRAND)
    phones = {digits: PHONE for digits in map(national_digits, config["PLATFORM_PHONES"]) if digits}
    return Identifiers(words, runs, phones)


def fold(text: str) -> str:
    """Return ``text`` as it reads: internationalised domain labels, compatibility forms, look-alike
    letters, case, accents and invisible characters folded to plain lower-case Latin where a letter
    looks like one."""
    text = PUNYCODE_LABEL.sub(_decoded_label, text)
    text = _latin_lookalikes(unicodedata.normalize("NFKC", text))
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if unicodedata.category(char) not in DROPPED_CATEGORIES)
    return _latin_lookalikes(text)


def national_digits(phone: str) -> str:
    """Return the digits that dial ``phone`` inside its country (no country code, no trunk 0)."""
    if phone.strip().startswith("+"):
        try:
            return phonenumbers.national_significant_number(phonenumbers.parse(phone, None))
        except phonenumbers.NumberParseException:
            pass
    return _digits(phone).lstrip("0")


def _decoded_label(match: re.Match[str]) -> str:
    """Return a domain label as a browser or mail program shows it ("xn--wbserver-c8g": "wеbserver")."""
    try:
        return idna.decode(match.group(0))
    except (idna.IDNAError, UnicodeError):
        return match.group(0)


def _latin_lookalikes(text: str) -> str:
    return "".join(char if char.isascii() else _lookalike(char) for char in text)


@functools.lru_cache(maxsize=8192)
def _lookalike(char: str) -> str:
    """Return the Latin letter or digit ``char`` is confusable with (Unicode's list), or ``char``."""
    from confusable_homoglyphs import confusables  # 0.2 s to load: only when text is checked

    found = confusables.is_confusable(char, greedy=True, preferred_aliases=["latin", "common"])
    for glyph in found[0]["homoglyphs"] if found else ():
        if glyph["c"].isascii() and glyph["c"].isalnum():
            return glyph["c"]
    return char


def _digits(text: str) -> str:
    return "".join(
        str(unicodedata.decimal(char)) for char in text if unicodedata.decimal(char, None) is not None
    )


def _parts(folded: str) -> list[str]:
    """Split folded text at every space and punctuation mark, leaving out the words for "." and "@"."""
    parts = [part for part in re.split(r"[\W_]+", folded) if part and part not in LINK_WORDS]
    return _joined_letter_spacing([part.translate(SAME_SHAPE) for part in parts])


def _add(runs: dict[str, str], identifier: str, what: str) -> None:
    joined = "".join(_parts(fold(identifier)))
    if joined:
        runs.setdefault(joined, what)


def _joined_letter_spacing(words: list[str]) -> list[str]:
    """Join runs of single characters ("W E B") into the word they spell."""
    joined: list[str] = []
    spaced: list[str] = []
    for word in [*filter(None, words), ""]:
        if len(word) == 1:
            spaced.append(word)
            continue
        joined.extend(["".join(spaced)] if len(spaced) > 1 else spaced)
        spaced = []
        if word:
            joined.append(word)
    return joined


def _aligned_runs(parts: list[str], wanted: Mapping[str, str]) -> set[str]:
    """Return the wanted strings that consecutive whole parts of the text join to."""
    longest = max(map(len, wanted), default=0)
    found: set[str] = set()
    for start in range(len(parts)):
        joined = ""
        for part in itertools.islice(parts, start, None):
            joined += part
            if len(joined) > longest:
                break
            if joined in wanted:
                found.add(joined)
    return found


def _described(kinds: list[str]) -> str:
    """Say what to remove: "the platform's name and phone number and a platform staff member's name"."""
    groups = []
    for owner in ("the platform's ", "a platform staff member's "):
        mine = [kind.removeprefix(owner) for kind in kinds if kind.startswith(owner)]
        if mine:
            groups.append(owner + _listed(mine))
    return " and ".join(groups)


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
