"""A visitor opens two shops, sees two brands and themes, and toggles the billing period."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_two_shops_show_their_own_brand_and_theme(browser, live_server, screenshot) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = _watch_console(page)
    looks = {}
    for host, brand, theme in (
        ("acme", "Acme Hosting", "default"),
        ("bluewave", "BlueWave Web", "editorial"),
    ):
        page.goto(f"http://{host}.localhost:{live_server}/")
        assert page.locator(".brand__name").first.inner_text().strip() == brand
        assert page.locator("body").get_attribute("class") == f"theme-{theme}"
        looks[host] = page.evaluate(
            """() => ({
                font: getComputedStyle(document.querySelector('h1')).fontFamily,
                primary: getComputedStyle(document.documentElement)
                    .getPropertyValue('--brand-primary').trim(),
                cards: document.querySelectorAll('.plan-card').length,
            })"""
        )
        screenshot(page, f"{host}-home")
    assert looks["acme"]["primary"] == "#c2410c" and looks["bluewave"]["primary"] == "#1e3a8a"
    assert "serif" in looks["bluewave"]["font"].lower() and "system-ui" in looks["acme"]["font"]
    assert looks["acme"]["cards"] > 0 and looks["bluewave"]["cards"] == 0  # cards versus a list
    assert problems == []
    context.close()


def test_billing_toggle_swaps_prices_without_a_page_load(browser, live_server, screenshot) -> None:
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    problems = _watch_console(page)
    page.goto(f"http://kedai.localhost:{live_server}/plans")
    page.wait_for_function("() => window.htmx !== undefined")
    prices = page.locator(".price__amount")
    assert prices.first.inner_text() == "RM 7.90"
    page.evaluate("() => { window.sameDocument = true }")
    page.get_by_role("link", name="Annually").click()
    page.wait_for_function("() => document.querySelector('#plan-grid').dataset.cycle === 'annually'")
    assert prices.first.inner_text() == "RM 79.00"
    assert page.evaluate("() => window.sameDocument") is True  # swapped in place, no navigation
    assert page.url.endswith("/plans?cycle=annually")
    assert page.get_by_role("link", name="Annually").get_attribute("aria-current") == "true"
    screenshot(page, "kedai-plans-annually-phone")
    assert problems == []


def test_billing_toggle_works_without_javascript(browser, live_server) -> None:
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(f"http://bluewave.localhost:{live_server}/plans")
    page.get_by_role("link", name="Annually").click()
    page.wait_for_url(re.compile(r"cycle=annually$"))
    assert page.locator(".price__amount").first.inner_text() == "RM 99.00"
