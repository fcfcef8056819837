"""Odd numbers in input (other scripts' digits, superscripts, thousands of digits) get a 4xx, never a 500."""

from __future__ import annotations

import json
import time

import pytest

from storefront.commerce.sandbox_gateway import signature_header
from storefront.models import InboundOutcome, StaffUser, TeamMember, Ticket
from storefront.whole_numbers import MAX_ID, is_ascii_digits, whole_number
from tests.second_factor_steps import WRONG, enrol, enter_code
from tests.shop.helpers import csrf_from
from tests.shop.test_payments import _callback, _event, _invoice, _paid, ordered  # noqa: F401  (the fixture)
from tests.staff.escalation_helpers import staff_client
from tests.staff.test_escalation_shops_and_triage import _inbound, _raw
from tests.staff.test_login import sign_in as staff_sign_in
from tests.steps import make_ticket, number_of, owner_client, shop_id, team_sign_in

ODD_CODES = [
    "\u0661\u0662\u0663\u0664\u0665\u0666",
    "\uff11\uff12\uff13\uff14\uff15\uff16",
    "\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2",
]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0", 0),
        ("42", 42),
        ("0042", 42),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("9" * 5000, None),
        ("\u00b2", None),
        ("\u0661", None),
        ("\uff11", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1.0", None),
        ("", None),
        (None, None),
        (7, None),
    ],
)
def test_only_ascii_digits_in_range_make_a_whole_number(text: object, number: int | None) -> None:
    assert whole_number(text) == number
    assert is_ascii_digits(text) == (isinstance(text, str) and text != "" and set(text) <= set("0123456789"))


def test_the_bounds_are_inclusive() -> None:
    assert whole_number("1", least=1, most=9) == 1 and whole_number("9", least=1, most=9) == 9
    assert whole_number("0", least=1) is None and whole_number("10", most=9) is None


@pytest.mark.parametrize(
    "header",
    [
        "t=\u00b2,v1=00",
        "t=" + "9" * 5000 + ",v1=" + "0" * 64,
        "t=1700000000,v1=\u00e9",  # arrives as a latin-1 byte
        "t=\u0661\u0667\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660,v1=" + "0" * 64,
        "t=-5,v1=" + "0" * 64,
    ],
)
def test_a_malformed_callback_signature_is_a_400(app, ordered, client_for, header: str) -> None:  # noqa: F811
    body = _event(_invoice(app))
    response = _callback(client_for("acme.localhost"), body, header)
    assert response.status_code == 400 and response.text == "missing or malformed signature\n"
    assert not _paid(app)


@pytest.mark.parametrize("field", ["invoice", "shop", "amount"])
def test_a_signed_event_with_a_huge_number_is_a_400(app, ordered, client_for, field: str) -> None:  # noqa: F811
    body = _event(_invoice(app), **{field: 2**80})
    with app.app_context():
        header = signature_header(body, int(time.time()))
    response = _callback(client_for("acme.localhost"), body, header)
    assert response.status_code == 400 and response.text == "malformed event\n"
    assert json.loads(body)["data"][field] == 2**80 and not _paid(app)


@pytest.mark.parametrize("code", ODD_CODES)
def test_odd_digits_at_the_console_code_steps_are_wrong_codes(app, demo, client_for, code: str) -> None:
    client = client_for("acme.localhost")
    team_sign_in(client)
    token = csrf_from(client.get("/console/security").text)
    client.post("/console/security/totp/start", data={"csrf_token": token})
    refused = client.post("/console/security/totp/confirm", data={"code": code, "csrf_token": token})
    assert refused.status_code == 400 and WRONG in refused.text
    enrol(app, client, TeamMember, "owner@acme-hosting.test", "/console")
    fresh = client_for("acme.localhost")
    assert team_sign_in(fresh).headers["Location"] == "/console/login/code"
    refused = enter_code(fresh, "/console", code)
    assert refused.status_code == 400 and WRONG in refused.text


@pytest.mark.parametrize("code", ODD_CODES)
def test_odd_digits_at_the_staff_code_steps_are_wrong_codes(app, client_for, make_staff, code: str) -> None:
    make_staff()
    client = client_for("staff.localhost")
    staff_sign_in(client, "ops@platform.test", "correct horse battery")
    token = csrf_from(client.get("/staff/security").text)
    client.post("/staff/security/totp/start", data={"csrf_token": token})
    refused = client.post("/staff/security/totp/confirm", data={"code": code, "csrf_token": token})
    assert refused.status_code == 400 and WRONG in refused.text
    enrol(app, client, StaffUser, "ops@platform.test", "/staff")
    fresh = client_for("staff.localhost")
    assert staff_sign_in(fresh, "ops@platform.test", "correct horse battery").headers["Location"] == (
        "/staff/login/code"
    )
    refused = enter_code(fresh, "/staff", code)
    assert refused.status_code == 400 and WRONG in refused.text


@pytest.mark.parametrize("raw", ["\u00b2", "\u0661", "9" * 5000, "-1"])
def test_opening_a_triage_email_at_an_odd_shop_id_is_not_found(
    app, demo, client_for, make_staff, raw
) -> None:
    inbound_id = _inbound(app, InboundOutcome.TRIAGE, "Help", _raw("Help", text="My site is down."))
    staff = staff_client(client_for, make_staff)
    token = csrf_from(staff.get("/staff/escalations/triage").text)
    path = f"/staff/escalations/triage/{inbound_id}/open"
    assert staff.post(path, data={"reseller_id": raw, "csrf_token": token}).status_code == 404
    opened = staff.post(path, data={"reseller_id": str(shop_id(app, "acme")), "csrf_token": token})
    assert opened.status_code == 303


@pytest.mark.parametrize(
    "query",
    ["shop=\u00b2", "shop=\u0661", "assignee=\uff11", "page=" + "9" * 5000, "page=\u0663"],
)
def test_escalation_filters_with_odd_numbers_are_refused(demo, client_for, make_staff, query: str) -> None:
    staff = staff_client(client_for, make_staff)
    response = staff.get(f"/staff/escalations?{query}")
    assert response.status_code == 400 and "That is not a valid" in response.text


def test_ids_in_paths_are_ascii_digits_only(app, demo, client_for) -> None:
    number = number_of(app, Ticket, make_ticket(app))
    team = owner_client(client_for)
    assert team.get(f"/console/tickets/{number}").status_code == 200
    for zero in (0x660, 0xFF10):  # Arabic-Indic and full-width digits
        odd = "".join(chr(zero + int(digit)) for digit in str(number))
        assert team.get(f"/console/tickets/{odd}").status_code == 404
    assert team.get("/console/tickets?page=\u0663").status_code == 200
    assert team.get("/console/pricing/margin?plan=\u0661&cycle=monthly").status_code == 404
