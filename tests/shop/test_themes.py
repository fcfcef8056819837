"""Themes: per-shop look, fallback to the default theme, assets, brand tokens."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from storefront.branding.theming import DEFAULT_THEME, available_themes
from storefront.extensions import db
from storefront.models import Reseller

THEME_OF = {"acme.localhost": "default", "bluewave.localhost": "editorial", "kedai.localhost": "bazaar"}


def test_at_least_three_themes_ship_and_the_demo_uses_them() -> None:
    assert available_themes()[0] == DEFAULT_THEME
    assert {"default", "editorial", "bazaar"} <= set(available_themes())


def test_two_themes_rendered_alternately_never_leak_into_each_other(demo, client_for) -> None:
    acme, bluewave = client_for("acme.localhost"), client_for("bluewave.localhost")
    for _ in range(3):
        for client, own, other in ((acme, "default", "editorial"), (bluewave, "editorial", "default")):
            html = client.get("/plans").text
            assert f'class="theme-{own}"' in html
            assert f'class="theme-{other}"' not in html
            css = client.get(re.search(r'href="(/theme/theme\.css\?v=\w+)"', html).group(1)).text
            assert f"/* {own.title()} theme" in css


def test_the_themes_differ_in_layout_not_only_colour(demo, client_for) -> None:
    grids = {host: client_for(host).get("/plans", headers={"HX-Request": "true"}).text for host in THEME_OF}
    assert len({re.sub(r"\s+", " ", grid) for grid in grids.values()}) == 3


def test_a_theme_falls_back_to_the_default_templates(demo, client_for) -> None:
    # editorial does not override privacy.html: the default's page renders inside editorial's layout.
    html = client_for("bluewave.localhost").get("/privacy").text
    assert 'class="theme-editorial"' in html
    assert "Who is responsible for your data" in html


def test_unknown_theme_name_falls_back_to_default(app, client_for, make_reseller) -> None:
    make_reseller("oddtheme", theme="no-such-theme")
    html = client_for("oddtheme.localhost").get("/").text
    assert "Oddtheme Hosting" in html


def test_theme_assets_fall_back_and_refuse_traversal(demo, client_for) -> None:
    client = client_for("bluewave.localhost")
    assert "/* Editorial theme" in client.get("/theme/theme.css").text
    assert "Layout primitives" in client.get("/theme/base.css").text  # from the default theme
    for path in (
        "/theme/../../config.py",
        "/theme/%2e%2e/%2e%2e/config.py",
        "/theme/..%2F..%2Fconfig.py",
        "/theme//etc/passwd",
        "/theme/%2Fetc%2Fpasswd",
        "/theme/templates/base.html",
        "/theme/",
    ):
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 404, path
        assert "SECRET" not in response.text and "root:" not in response.text


def test_versioned_theme_assets_are_cached_for_a_year(demo, client_for) -> None:
    client = client_for("acme.localhost")
    url = re.search(r'href="(/theme/theme\.css\?v=\w+)"', client.get("/").text).group(1)
    assert "max-age=31536000" in client.get(url).headers["Cache-Control"]


def test_brand_tokens_reach_css_as_custom_properties(demo, client_for) -> None:
    client = client_for("kedai.localhost")
    html = client.get("/").text
    url = re.search(r'href="(/brand\.css\?v=\w+)"', html).group(1)
    response = client.get(url)
    assert response.mimetype == "text/css"
    assert "--brand-primary: #15803d;" in response.text
    assert "--brand-on-primary: #ffffff;" in response.text
    assert "--brand-accent: #facc15;" in response.text
    assert "--brand-on-accent: #000000;" in response.text
    assert re.search(r'--brand-logo: url\("/logo\?v=\w+"\);', response.text)
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_brand_changes_change_the_stylesheet_url(app, demo, client_for) -> None:
    client = client_for("acme.localhost")
    before = re.search(r"/brand\.css\?v=\w+", client.get("/").text).group(0)
    with app.app_context():
        db.session.scalar(select(Reseller).where(Reseller.slug == "acme")).color_primary = "#7c3aed"
        db.session.commit()
    html = client.get("/").text
    assert before not in html
    assert "#7c3aed" in client.get(re.search(r"/brand\.css\?v=\w+", html).group(0)).text


def test_logo_and_favicon_come_from_the_database(demo, client_for) -> None:
    client = client_for("acme.localhost")
    html = client.get("/").text
    logo_url = re.search(r'src="(/logo\?v=\w+)"', html).group(1)
    logo = client.get(logo_url)
    assert logo.mimetype == "image/png"
    assert "immutable" in logo.headers["Cache-Control"]
    assert Image.open(io.BytesIO(logo.data)).format == "PNG"
    icon = client.get("/favicon.ico")
    assert Image.open(io.BytesIO(icon.data)).format == "ICO"
    assert client.get("/favicon.ico", headers={"If-None-Match": icon.headers["ETag"]}).status_code == 304


def test_shop_without_logo_gets_a_brand_colour_favicon(client_for, make_reseller) -> None:
    make_reseller("nologo", color_primary="#123456")
    client = client_for("nologo.localhost")
    assert client.get("/logo").status_code == 404
    icon = Image.open(io.BytesIO(client.get("/favicon.ico").data))
    assert icon.convert("RGB").getpixel((8, 8)) == (0x12, 0x34, 0x56)
    assert "<img" not in client.get("/").text


@pytest.mark.parametrize("host", list(THEME_OF))
def test_pages_have_landmarks_and_a_skip_link(demo, client_for, host: str) -> None:
    html = client_for(host).get("/").text
    assert '<html lang="en">' in html
    assert 'name="viewport"' in html
    for landmark in ("<header", "<nav", '<main id="main"', "<footer", 'class="skip-link" href="#main"'):
        assert landmark in html
    assert len(re.findall(r"<h1[ >]", html)) == 1


@pytest.mark.parametrize("slug", ["acme", "bluewave", "kedai"])
def test_demo_brand_colours_meet_wcag_aa_contrast(app, demo, slug: str) -> None:
    from storefront.branding.brand import contrast_ratio, readable_on

    with app.app_context():
        shop = db.session.scalar(select(Reseller).where(Reseller.slug == slug))
        assert contrast_ratio(shop.color_text, shop.color_background) >= 4.5
        for fill in (shop.color_primary, shop.color_accent):
            assert contrast_ratio(readable_on(fill), fill) >= 4.5


def test_contrast_ratio_matches_wcag_examples() -> None:
    from storefront.branding.brand import contrast_ratio

    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast_ratio("#777777", "#ffffff"), 2) == 4.48
    assert contrast_ratio("#ffffff", "#ffffff") == 1.0
