"""Looks on real screens: a wide logo keeps its shape in every theme, and on a 390 px phone the
account, the console and the staff desk fit the screen without scrolling sideways."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from storefront.branding.brand import set_logo
from storefront.extensions import db
from storefront.models import Reseller
from tests.browser.steps import sign_in
from tests.shop.privacy_support import add_purchases
from tests.staff.escalation_helpers import open_for
from tests.steps import customer_id

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LOGO_BOX = """() => {
    const img = document.querySelector('.brand__logo'), box = img.getBoundingClientRect();
    return {width: box.width, height: box.height, natural: img.naturalWidth / img.naturalHeight,
            radius: parseFloat(getComputedStyle(img).borderTopLeftRadius)};
}"""
OVERFLOW = "() => document.documentElement.scrollWidth"
# Every "RM 12.90" inside the element, as a range: more than one line box means "RM" and the amount split.
MONEY_LINES = """(selector) => {
    const found = [];
    const walker = document.createTreeWalker(document.querySelector(selector), NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        for (const match of node.textContent.matchAll(/RM\\s[\\d,]+\\.\\d\\d/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
            found.push([match[0], lines.size]);
        }
    }
    return found;
}"""


def _wide_logo(app) -> None:
    image = Image.new("RGB", (300, 120), "#1d4ed8")
    with app.app_context():
        for shop in db.session.scalars(select(Reseller)):
            set_logo(shop, Image.open(io.BytesIO(_png(image))))
        db.session.commit()


def _png(image: Image.Image) -> bytes:
    data = io.BytesIO()
    image.save(data, "PNG")
    return data.getvalue()


def test_a_wide_logo_keeps_its_shape_in_every_theme(app, browser, live_server, screenshot) -> None:
    _wide_logo(app)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    for host in ("acme", "bluewave", "kedai"):  # default, editorial, bazaar
        page.goto(f"http://{host}.localhost:{live_server}/")
        box = page.evaluate(LOGO_BOX)
        assert box["natural"] == pytest.approx(2.5)
        assert box["width"] / box["height"] == pytest.approx(2.5, rel=0.05), host  # not squashed
        assert box["height"] >= 24 and box["radius"] <= box["height"] / 4, host  # not cut to a circle
        screenshot(page, f"{host}-wide-logo")


def _fits(page, url: str, screenshot, name: str) -> None:
    page.goto(url)
    screenshot(page, name)
    assert page.evaluate(OVERFLOW) <= PHONE["width"], f"{url} scrolls sideways"


def test_the_customers_orders_fit_a_phone(app, browser, live_server, screenshot) -> None:
    add_purchases(app, customer_id(app), 3, tag="nuraisyahbakeryandcateringsupplies")
    shop = f"http://acme.localhost:{live_server}"
    page = browser.new_context(viewport=PHONE).new_page()
    sign_in(page, f"{shop}/login", "aisyah@example.com", "storefront-demo")
    page.wait_for_url(re.compile("/account"))
    for path in ("/account/orders", "/account/invoices", "/account/services"):
        _fits(page, f"{shop}{path}", screenshot, f"phone-acme{path.replace('/', '-')}")


def test_the_console_fits_a_phone(app, browser, live_server, screenshot) -> None:
    add_purchases(app, customer_id(app), 2, tag="nuraisyahbakeryandcateringsupplies")
    open_for(app, "acme", "My website shows an error since this morning")
    shop = f"http://acme.localhost:{live_server}"
    page = browser.new_context(viewport=PHONE).new_page()
    sign_in(page, f"{shop}/console/login", "owner@acme-hosting.test", "storefront-demo")
    page.wait_for_url(re.compile("/console/tickets"))
    paths = ("/console/tickets", "/console/orders", "/console/customers", "/console/pricing")
    for path in (*paths, "/console/services", "/console/services/1"):
        _fits(page, f"{shop}{path}", screenshot, f"phone{path.replace('/', '-')}")


def test_the_staff_desk_fits_a_phone(app, browser, live_server, screenshot, make_staff) -> None:
    from storefront.models import StaffRole

    make_staff(email="ops@platform.test", role=StaffRole.ADMIN)
    add_purchases(app, customer_id(app), 2, tag="nuraisyahbakeryandcateringsupplies")
    open_for(app, "acme", "My website shows an error since this morning", escalated=True)
    staff = f"http://staff.localhost:{live_server}"
    page = browser.new_context(viewport=PHONE).new_page()
    sign_in(page, f"{staff}/staff/login", "ops@platform.test", "correct horse battery")
    page.wait_for_url(re.compile("/staff/$"))
    for path in ("/staff/", "/staff/escalations", "/staff/payments", "/staff/shops", "/staff/audit"):
        _fits(page, f"{staff}{path}", screenshot, f"phone{path.replace('/', '-')}")


def test_kedai_on_a_phone_shows_its_plans_early_and_keeps_prices_whole(
    browser, live_server, screenshot
) -> None:
    kedai = f"http://kedai.localhost:{live_server}"
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{kedai}/")
    header = page.evaluate("() => document.querySelector('.site-header').getBoundingClientRect().height")
    assert header <= 0.25 * PHONE["height"], f"the header takes {header:.0f} px of {PHONE['height']}"
    _fits(page, f"{kedai}/", screenshot, "phone-kedai-home")
    for plan in ("starter", "business"):
        _fits(page, f"{kedai}/plans/{plan}", screenshot, f"phone-kedai-{plan}")
        prices = page.evaluate(MONEY_LINES, ".plan-detail")
        assert prices and all(lines == 1 for _, lines in prices), prices
