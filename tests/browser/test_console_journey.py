"""An owner restyles the shop in the console: preview first, then save; a bad logo is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.browser

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/console/login")
    page.get_by_label("Email").fill("owner@acme-hosting.test")
    page.get_by_label("Password").fill("storefront-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/tickets")


def _look(frame) -> dict[str, str]:
    return frame.evaluate(
        """() => ({
            theme: document.body.className,
            primary: getComputedStyle(document.documentElement).getPropertyValue('--brand-primary').trim(),
            background: getComputedStyle(document.body).backgroundColor,
        })"""
    )


def _settled_look(page) -> dict[str, str]:
    """The look of the preview frame on the page now; a frame swapped out mid-read is read again."""
    for _ in range(20):
        frame = page.locator("#brand-preview iframe").element_handle().content_frame()
        try:
            frame.wait_for_load_state()
            return _look(frame)
        except PlaywrightError:
            page.wait_for_timeout(100)
    raise AssertionError("the brand preview never settled")


def test_owner_previews_and_saves_a_new_look(browser, live_server, screenshot) -> None:
    base = f"http://acme.localhost:{live_server}"
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page, shop = context.new_page(), context.new_page()
    _sign_in(page, base)
    page.goto(f"{base}/console/brand")
    page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_label("Theme").select_option("bazaar")
    page.get_by_label("Primary").fill("#7c2d12")
    page.get_by_label("Background").fill("#fffbeb")
    page.wait_for_function(
        "() => document.querySelector('#brand-preview iframe').src.includes('bazaar')"
        " && document.querySelector('#brand-preview iframe').src.includes('7c2d12')"
    )
    # Each change swaps in a new preview frame: wait until typing has settled and the frame on the
    # page shows the new look (a frame locator finds the current frame on every try).
    page.wait_for_load_state("networkidle")
    preview_body = page.frame_locator("#brand-preview iframe").locator("body.theme-bazaar")
    preview_body.wait_for()
    preview = _settled_look(page)
    assert preview["theme"] == "theme-bazaar" and preview["primary"] == "#7c2d12"
    assert preview["background"] == "rgb(255, 251, 235)"
    screenshot(page, "console-brand-preview")

    shop.goto(f"{base}/")
    assert _look(shop)["theme"] == "theme-default"  # previewing saved nothing

    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").first.inner_text()
    shop.reload()
    saved = _look(shop)
    assert saved == {"theme": "theme-bazaar", "primary": "#7c2d12", "background": "rgb(255, 251, 235)"}
    screenshot(shop, "acme-after-restyle")
    context.close()


def test_an_svg_logo_is_refused_and_the_old_logo_stays(browser, live_server) -> None:
    base = f"http://acme.localhost:{live_server}"
    page = browser.new_context().new_page()
    _sign_in(page, base)
    page.goto(f"{base}/console/brand")
    before = page.get_by_alt_text("Your current logo").get_attribute("src")
    page.get_by_label("Replace the logo").set_input_files(
        {"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": SVG}
    )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    assert "PNG, JPEG or WebP" in page.get_by_role("alert").inner_text()
    assert page.get_by_alt_text("Your current logo").get_attribute("src") == before
    logo = page.goto(f"{base}{before}")
    assert logo.ok and logo.headers["content-type"] == "image/png"
