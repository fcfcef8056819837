"""Steps the browser journeys share: signing in, and a customer escalating a ticket."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def sign_in(page: Page, url: str, email: str, password: str) -> None:
    """Fill a sign-in form and submit it."""
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def open_and_escalate(page: Page, shop: str, subject: str, body: str, reason: str) -> int:
    """As the customer: ask for help, then escalate with a reason; return the ticket's number in the shop."""
    page.goto(f"{shop}/account/tickets/new")
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Message").fill(body)
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/account/tickets/\d+$"))
    page.get_by_label(re.compile("Not getting the help you need")).fill(reason)
    page.get_by_role("button", name="Escalate").click()
    expect(page.get_by_role("status")).to_contain_text("Acme Escalations Team")
    return int(page.url.rsplit("/", 1)[1])
