"""The white-label guard: every disguise of the platform's identifiers is refused, ordinary words pass."""

from __future__ import annotations

import time

import pytest
from flask import Flask

from storefront.branding.white_label import (
    ADDRESS,
    BRAND,
    LEGAL_NAME,
    PHONE,
    STAFF_EMAIL,
    STAFF_NAME,
    WhiteLabelError,
    check_white_label,
    identifiers_from,
    platform_mentions,
)
from storefront.extensions import db
from storefront.models import StaffRole, StaffUser

CONFIG = {
    "PLATFORM_NAME": "WebServer",
    "PLATFORM_LEGAL_NAME": "WebServer Sdn Bhd",
    "PLATFORM_DOMAINS": ["webserver.com.my", "ws-cloud.net"],
    "PLATFORM_SUPPORT_EMAIL": "support@webserver.com.my",
    "PLATFORM_PHONES": ["+603 2770 2833"],
}
STAFF = [("Nurul Izzah", "nurul.izzah@gmail.com"), ("Daniel Lim", "daniel@webserver.com.my")]
IDENTIFIERS = identifiers_from(CONFIG, STAFF)

REFUSED = [
    # the finding's own reply
    (
        "Regards, Staffer, WebServer Sdn Bhd, +603 2770 2833, support@webserver.com.my",
        {BRAND, LEGAL_NAME, ADDRESS, PHONE},
    ),
    # the brand as one word, in any case, width, script or spacing
    ("Hosted by WebServer.", {BRAND}),
    ("WEBSERVER", {BRAND}),
    ("WEB-SERVER", {BRAND}),
    ("Web.Server", {BRAND}),
    ("Web_Server", {BRAND}),
    ("WebServ\u200ber", {BRAND}),  # zero-width space
    ("Web\u00adServer", {BRAND}),  # soft hyphen
    ("Web\u2060Server", {BRAND}),  # word joiner
    ("W\u0435bS\u0435rv\u0435r", {BRAND}),  # Cyrillic е
    ("Web\u0405erver", {BRAND}),  # Cyrillic Ѕ
    ("Webser\u03bder", {BRAND}),  # Greek nu
    ("\uff37\uff45\uff42\uff33\uff45\uff52\uff56\uff45\uff52", {BRAND}),  # full width
    ("W\u00e9bs\u00e9rv\u00e9r", {BRAND}),  # accents
    ("We\u0301bServer", {BRAND}),  # combining accent
    ("\U0001d416\U0001d41e\U0001d41b\U0001d412\U0001d41e\U0001d42b\U0001d42f\U0001d41e\U0001d42b", {BRAND}),
    ("W E B S E R V E R", {BRAND}),
    ("w.e.b.s.e.r.v.e.r", {BRAND}),
    ("our webservers", {BRAND}),
    ("den Webserver-Dienst", {BRAND}),
    # domains and addresses, spelled out or spaced
    ("web-server dot com dot my", {BRAND, ADDRESS}),
    ("W E B S E R V E R . C O M . M Y", {BRAND, ADDRESS}),
    ("https://www.webserver.com.my/help", {BRAND, ADDRESS}),
    ("help@xn--wbserver-c8g.com.my", {BRAND, ADDRESS}),  # wеbserver with a Cyrillic е, as IDNA writes it
    ("Web Server dot com dot my", {ADDRESS}),
    ("ws-cloud.net", {ADDRESS}),
    ("ws cloud (dot) net", {ADDRESS}),
    ("write to support at webserver dot com dot my", {BRAND, ADDRESS}),
    # the legal name, however the brand in it is split
    ("WebServer Sdn. Bhd.", {BRAND, LEGAL_NAME}),
    ("Web Server Sdn Bhd", {LEGAL_NAME}),
    ("WEB SERVER SDN. BHD.", {LEGAL_NAME}),
    # phones: the digits anywhere in a run of digits, local or international, any digit script
    ("+603 2770 2833", {PHONE}),
    ("+60 3 2770 2833 1", {PHONE}),
    ("03-2770 2833", {PHONE}),
    ("(03) 27702833", {PHONE}),
    ("00 603 2770 2833", {PHONE}),
    ("3.2770.2833", {PHONE}),
    ("call 0 3 2 7 7 0 2 8 3 3", {PHONE}),
    ("\uff10\uff13\uff0d\uff12\uff17\uff17\uff10 \uff12\uff18\uff13\uff13", {PHONE}),  # full width
    ("\u0660\u0663\u0662\u0667\u0667\u0660\u0662\u0668\u0663\u0663", {PHONE}),  # Arabic-Indic
    # staff: full names and emails, never first names alone
    ("Nurul Izzah will help you", {STAFF_NAME}),
    ("NURUL-IZZAH", {STAFF_NAME}),
    ("\u039durul \u0406zzah", {STAFF_NAME}),  # Greek Ν, Cyrillic І
    ("Nurul\u00a0Izzah", {STAFF_NAME}),  # no-break space
    ("Write to nurul.izzah@gmail.com", {STAFF_NAME, STAFF_EMAIL}),
    ("nurul izzah at gmail dot com", {STAFF_NAME, STAFF_EMAIL}),
    ("Daniel Lim", {STAFF_NAME}),
    ("daniel@webserver.com.my", {BRAND, ADDRESS, STAFF_EMAIL}),
]

PASSING = [
    "LiteSpeed Web Server",
    "our web servers in Cyberjaya",
    "Our web server restarted; your site is back.",
    "Hi Nurul, your site is back.",  # a customer-facing first name
    "Daniel from the Escalations team",
    "Regards, Acme Escalations Team, +60 3 1234 5678, support@acme-hosting.test",
    "Call +60 4 2770 2833 (Penang)",  # another area code
    "Order 327 and invoice 702833",  # numbers apart
    "Nurul and Izzah are both on leave",  # not consecutive
    "Web. Server",  # two sentences
    "Pelayan web kami di Cyberjaya telah dimulakan semula.",
]


@pytest.mark.parametrize(("text", "kinds"), REFUSED)
def test_each_disguise_is_seen_through(text: str, kinds: set[str]) -> None:
    assert set(platform_mentions(text, IDENTIFIERS)) == kinds


@pytest.mark.parametrize("text", PASSING)
def test_ordinary_text_passes(text: str) -> None:
    assert platform_mentions(text, IDENTIFIERS) == []


def test_a_multi_word_platform_name_counts_only_as_its_words_in_a_row() -> None:
    identifiers = identifiers_from({**CONFIG, "PLATFORM_NAME": "Blue Sky Hosting"})
    assert platform_mentions("Hosted by BlueSky-Hosting.", identifiers) == [BRAND]
    assert platform_mentions("Blue sky, hosting and more", identifiers) == [BRAND]
    assert platform_mentions("A blue sky over our hosting", identifiers) == []


def test_the_longest_text_is_checked_quickly() -> None:
    text = "Our web servers in Cyberjaya are fine. " * 500 + "WebServer"  # a 20,000-character reply
    started = time.perf_counter()
    assert platform_mentions(text, IDENTIFIERS) == [BRAND]
    assert time.perf_counter() - started < 0.5


def test_the_guard_knows_the_configured_identity_and_active_staff(app: Flask) -> None:
    with app.app_context():
        for email, name, active in [
            ("farah.aziz@webserver.com.my", "Farah Aziz", True),
            ("gone@example.org", "Former Colleague", False),
        ]:
            staff = StaffUser(email=email, name=name, role=StaffRole.SUPPORT, active=active)
            staff.set_password("correct horse battery")
            db.session.add(staff)
        db.session.commit()
        with pytest.raises(WhiteLabelError) as refused:
            check_white_label("Regards, Farah Aziz, WebServer Sdn Bhd, +603 2770 2833")
        assert str(refused.value) == (
            "Remove the platform's name, company name and phone number and a platform staff member's name, "
            "written in any form: customers must never learn who hosts the shop."
        )
        check_white_label("Farah will call you back. Our web servers are fine.")
        check_white_label("Former Colleague")  # staff no longer active
        check_white_label(None)
