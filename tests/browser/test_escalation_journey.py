"""A customer escalates; staff see it live on the escalation screen; the answer comes as the persona."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import open_and_escalate, sign_in
from tests.leakguard import find_leaks

pytestmark = pytest.mark.browser
SUBJECT = "Email stopped working"


def _watch_console(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_escalation_reaches_staff_live_and_the_answer_comes_as_the_persona(
    app, browser, live_server, screenshot, make_staff
) -> None:
    make_staff(email="ops@platform.test")
    shop, staff_host = f"http://acme.localhost:{live_server}", f"http://staff.localhost:{live_server}"
    customer = browser.new_context().new_page()
    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    problems = _watch_console(customer) + _watch_console(staff)

    sign_in(staff, f"{staff_host}/staff/login", "ops@platform.test", "correct horse battery")
    staff.wait_for_url(re.compile(r"/staff/$"))
    staff.get_by_role("link", name="Open the escalation screen").click()
    staff.wait_for_url(re.compile(r"/staff/escalations"))
    staff.evaluate("() => { window.sameDocument = true }")
    expect(staff.get_by_role("link", name=re.compile(SUBJECT))).to_have_count(0)

    sign_in(customer, f"{shop}/login", "aisyah@example.com", "storefront-demo")
    open_and_escalate(
        customer, shop, SUBJECT, "Since this morning no email arrives.", "It is urgent, my shop is down"
    )

    row = staff.get_by_role("link", name=re.compile(SUBJECT))
    expect(row).to_be_visible(timeout=15_000)  # the queue polls every 10 s
    assert staff.evaluate("() => window.sameDocument") is True  # no reload
    screenshot(staff, "escalation-screen-live")

    row.click()
    staff.get_by_label(re.compile("Reply to the customer as")).fill("We fixed your mail server. Sorry!")
    staff.get_by_role("button", name="Send reply").click()
    expect(staff.get_by_text("We fixed your mail server. Sorry!")).to_be_visible()

    customer.reload()
    answer = customer.locator(".thread__message--staff")
    expect(answer).to_contain_text("We fixed your mail server. Sorry!")
    expect(answer.locator(".thread__meta strong")).to_have_text("Acme Escalations Team")
    assert "Ops Person" not in customer.content()
    assert find_leaks(app.config, customer.content()) == []
    screenshot(customer, "escalation-answer-as-persona")
    assert problems == []
