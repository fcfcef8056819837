"""A new customer on BlueWave signs up, verifies the email, buys a plan, pays by card and sees it set up."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.leakguard import find_leaks
from tests.shop.helpers import link_in, outbox

pytestmark = pytest.mark.browser

DOMAIN = "my-new-shop.com"
PASSWORD = "a long enough password"
INVOICE_URL = re.compile(r"/account/invoices/\d+$")


def _watch_console(page: Page) -> list[str]:
    """Collect console errors and uncaught page errors, where a CSP violation would show."""
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _links_on_slug_host(app, port: int) -> None:
    """Make emailed links open on http://bluewave.localhost:<port>/."""
    app.config["SHOP_URL_SCHEME"] = "http"
    app.config["SHOP_URL_PORT"] = port
    app.config["SHOP_URLS_ON_SLUG_HOST"] = True


def _add_wordpress_yearly(page: Page, shop: str) -> None:
    """From the home page, open the WordPress plan and add it to the cart billed annually."""
    page.goto(shop + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").click()
    expect(page.get_by_role("heading", name="Hosting plans", level=1)).to_be_visible()
    page.get_by_role("link", name="See the WordPress plan").click()
    expect(page.get_by_role("heading", name="WordPress", level=1)).to_be_visible()
    page.get_by_label("Annually").check()
    page.get_by_role("button", name="Add WordPress to cart").click()
    page.wait_for_url(shop + "/cart")


def _change_cycle_in_place(page: Page, cart: Locator, cycle: str) -> None:
    """Pick another billing period in the cart's select; htmx swaps the cart without a page load."""
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("() => { window.sameDocument = true }")
    cart.get_by_label("Billing period").select_option(cycle)
    expect(cart.get_by_label("Billing period")).to_have_value(cycle)


def _sign_up_from_checkout(page: Page, shop: str, name: str, email: str) -> None:
    """Try to check out, be sent to sign in, and create an account there instead."""
    page.get_by_role("link", name="Check out").click()
    page.wait_for_url(re.compile(r"/login\?next=/checkout$"))
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    page.get_by_role("link", name="Create an account").click()
    page.wait_for_url(shop + "/signup")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(shop + "/check-email?reason=signup")
    expect(page.get_by_role("heading", name="Check your email", level=1)).to_be_visible()


def _verification_link(app, email: str) -> str:
    """Return the link in the one verification email sent to ``email``."""
    [message] = outbox(app, to=email, kind="verify_email")
    return link_in(message, "/verify/")


def _confirm_and_sign_in(page: Page, link: str, email: str) -> None:
    """Open the emailed link, confirm, and sign in: confirming never signs anyone in by itself."""
    page.goto(link)
    page.get_by_role("button", name="Confirm my email address").click()
    page.wait_for_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("status")).to_have_text("Thank you, your email address is confirmed.")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/checkout$"))


def _name_a_new_domain(page: Page, shop: str) -> None:
    """Go from the cart to checkout and ask to register a new domain for the plan."""
    page.get_by_role("link", name="Check out").click()
    page.wait_for_url(shop + "/checkout")
    expect(page.get_by_role("heading", name="Checkout", level=1)).to_be_visible()
    page.get_by_label("Register a new domain").check()
    page.get_by_label("Domain name").fill(DOMAIN)


def _invoice_lines(page: Page) -> list[list[str]]:
    """Return the invoice table's body rows as lists of cell texts."""
    rows = page.get_by_role("table").locator("tbody").get_by_role("row")
    return [row.get_by_role("cell").all_inner_texts() for row in rows.all()]


def _pay_with_sandbox_card(page: Page, total: str) -> None:
    """Pay the open invoice on the sandbox gateway's page with the card that succeeds."""
    page.get_by_role("button", name=f"Pay {total} by card").click()
    page.wait_for_url(re.compile(r"/pay/card/[^/]+$"))
    expect(page.get_by_role("heading", name=f"Pay {total} by card", level=1)).to_be_visible()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay now").click()
    page.wait_for_url(INVOICE_URL)


def test_a_new_customer_buys_wordpress_hosting_and_pays_by_card(
    app, browser, live_server, screenshot
) -> None:
    """Sign up, verify, add a plan, check out, pay by card, and see the paid invoice and pending service."""
    _links_on_slug_host(app, live_server)
    shop = f"http://bluewave.localhost:{live_server}"
    email = f"new-customer-{secrets.token_hex(4)}@example.com"
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    problems = _watch_console(page)

    _add_wordpress_yearly(page, shop)
    cart = page.get_by_role("region", name="Cart contents")
    expect(cart.get_by_label("Billing period")).to_have_value("annually")
    expect(cart.locator(".cart__total")).to_have_text("Total RM 199.00")
    _change_cycle_in_place(page, cart, "quarterly")
    expect(cart.locator(".cart__total")).to_have_text("Total RM 56.90")
    assert page.evaluate("() => window.sameDocument") is True  # swapped in place, no navigation
    expect(page.get_by_role("link", name="Cart 1 item")).to_be_visible()
    screenshot(page, "bluewave-purchase-cart")

    _sign_up_from_checkout(page, shop, "Siti Rahman", email)
    screenshot(page, "bluewave-purchase-check-email")

    link = _verification_link(app, email)
    assert link.startswith(f"{shop}/verify/")
    _confirm_and_sign_in(page, link, email)
    page.goto(shop + "/cart")  # the cart was kept through sign-in
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="My account")).to_be_visible()
    expect(cart.get_by_label("Billing period")).to_have_value("quarterly")

    _name_a_new_domain(page, shop)
    screenshot(page, "bluewave-purchase-checkout")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(INVOICE_URL)
    expect(page.locator(".invoice__seller")).to_have_text("BlueWave Web Solutions PLT")
    expect(page.get_by_role("region", name="Billed to")).to_contain_text(email)
    assert _invoice_lines(page) == [
        [f"WordPress hosting for {DOMAIN}, billed quarterly", "RM 56.90"],
        [f"Registration of {DOMAIN} for 1 year", "RM 69.00"],
    ]
    expect(page.get_by_role("row", name="Total RM 125.90")).to_be_visible()
    expect(page.get_by_role("link", name="Cart", exact=True)).to_be_visible()  # the cart is emptied
    expect(page.locator(".invoice__meta .status")).to_have_text("Unpaid")
    assert find_leaks(app.config, page.content()) == []
    screenshot(page, "bluewave-purchase-invoice")

    _pay_with_sandbox_card(page, "RM 125.90")
    expect(page.get_by_role("status")).to_have_text("Thank you, your payment is received.")
    expect(page.locator(".invoice__meta .status")).to_have_text("Paid")
    expect(page.locator(".invoice__paid")).to_contain_text("Paid")
    assert find_leaks(app.config, page.content()) == []
    screenshot(page, "bluewave-purchase-invoice-paid")

    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Services").click()
    page.wait_for_url(shop + "/account/services")
    service = page.get_by_role("region", name=DOMAIN)
    expect(service).to_contain_text("WordPress, billed quarterly — Being set up")
    expect(service).to_contain_text("We are setting this up")
    assert find_leaks(app.config, page.content()) == []
    screenshot(page, "bluewave-purchase-services")

    assert problems == []
    page.context.close()
