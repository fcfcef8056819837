"""A customer takes a copy of their data, asks for a correction, and sees who has looked at it."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import CorrectionRequest, Customer, Ticket
from tests.browser.steps import open_and_escalate, sign_in
from tests.leakguard import find_leaks

pytestmark = pytest.mark.browser
SUBJECT = "Invoice shows my old name"
CORRECTION = "My name on the invoices should read Nur Aisyah binti Ahmad."


def test_a_customer_downloads_their_data_asks_for_a_correction_and_sees_the_persona_in_the_log(
    app, browser, live_server, screenshot, make_staff
) -> None:
    make_staff(email="ops@platform.test")
    shop, staff_host = f"http://acme.localhost:{live_server}", f"http://staff.localhost:{live_server}"
    customer = browser.new_context(accept_downloads=True).new_page()
    staff = browser.new_context().new_page()

    sign_in(customer, f"{shop}/login", "aisyah@example.com", "storefront-demo")
    number = open_and_escalate(
        customer, shop, SUBJECT, "Please fix the name on my invoices.", "Nobody answered"
    )
    with app.app_context():  # the staff host names tickets by their id
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.subject == SUBJECT))

    sign_in(staff, f"{staff_host}/staff/login", "ops@platform.test", "correct horse battery")
    staff.wait_for_url(re.compile(r"/staff/$"))
    staff.get_by_role("link", name="Open the escalation screen").click()  # the queue lists Aisyah's ticket
    staff.wait_for_url(re.compile(r"/staff/escalations$"))
    staff.goto(f"{staff_host}/staff/escalations/{ticket_id}")
    expect(staff.get_by_role("heading", name=re.compile(SUBJECT))).to_be_visible()

    customer.goto(f"{shop}/account/privacy")
    with customer.expect_download() as download:
        customer.get_by_role("link", name="Download my data").click()
    data = json.loads(download.value.path().read_text())
    assert download.value.suggested_filename.endswith(".json")
    assert data["profile"]["email"] == "aisyah@example.com"
    assert SUBJECT in {ticket["subject"] for ticket in data["tickets"]}
    assert "Ops Person" not in json.dumps(data) and find_leaks(app.config, json.dumps(data)) == []

    customer.get_by_label("What is it about?").select_option(label="Something else")
    customer.get_by_label("What is wrong, and what should it say?").fill(CORRECTION)
    customer.get_by_role("button", name="Ask for a correction").click()
    corrections = customer.locator("#corrections")
    expect(corrections).to_contain_text(CORRECTION)
    expect(corrections).to_contain_text("we answer by")

    log = customer.locator("#access-log")
    persona_rows = log.get_by_role("row", name=re.compile("Acme Escalations Team"))
    expect(persona_rows.filter(has_text=f"viewed ticket #{number}")).to_be_visible()
    expect(persona_rows.filter(has_text="queue of escalated tickets")).to_be_visible()
    page_text = customer.content()
    assert "Ops Person" not in page_text and "ops@platform.test" not in page_text
    assert find_leaks(app.config, page_text) == []
    screenshot(customer, "privacy-centre-access-log")

    with app.app_context():
        aisyah = db.session.scalar(select(Customer).where(Customer.email == "aisyah@example.com"))
        asked = db.session.scalar(select(CorrectionRequest).where(CorrectionRequest.customer_id == aisyah.id))
        assert asked.details == CORRECTION and (asked.due_at - asked.created_at).days == 21
