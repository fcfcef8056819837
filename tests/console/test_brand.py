"""The brand page: names, colours, theme and contacts, saved with readable contrast, previewed live."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from storefront.branding.brand_settings import PRIMARY_AS_TEXT_THEMES
from storefront.branding.theming import available_themes, theme_asset_path
from storefront.extensions import db
from storefront.models import AuditEntry, Reseller
from tests.shop.helpers import csrf_from, outbox
from tests.steps import owner_client, team_sign_in

ACME = "acme.localhost"
SAVED = {
    "brand_name": "Acme Hosting",
    "tagline": "Fast, friendly hosting for Malaysian businesses.",
    "theme": "default",
    "color_primary": "#c2410c",
    "color_accent": "#0f766e",
    "color_background": "#fffaf5",
    "color_text": "#1c1917",
    "support_email": "support@acme-hosting.test",
    "support_phone": "+60 3 1234 5678",
    "support_hours": "Mon–Fri 9:00–18:00",
}
NEW_LOOK = {
    "brand_name": "Acme Cloud",
    "tagline": "Hosting that keeps up with you.",
    "theme": "bazaar",
    "color_primary": "#7C3AED",  # upper case is accepted and stored in lower case
    "color_accent": "fde047",  # the # may be left out
    "color_background": "#fefce8",
    "color_text": "#1e1b4b",
    "support_email": "Help@Acme-Hosting.test",
    "support_phone": "+60 3 8888 0000",
    "support_hours": "Every day 8:00–20:00",
}


def _save(client, **changes):
    token = csrf_from(client.get("/console/brand").text)
    return client.post("/console/brand", data={**SAVED, **changes, "csrf_token": token})


def _acme(app) -> Reseller:
    with app.app_context():
        reseller = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        db.session.expunge(reseller)
        return reseller


def _brand_of(reseller: Reseller) -> dict[str, object]:
    return {name: getattr(reseller, name) for name in (*SAVED, "revision")}


def _linked(page: str, pattern: str) -> str:
    return html.unescape(re.search(rf'href="({pattern}[^"]*)"', page).group(1))


def test_saving_shows_the_new_look_on_the_storefront_at_once(app, demo, client_for) -> None:
    visitor = client_for(ACME)
    assert 'class="theme-default"' in visitor.get("/").text  # the page cache now holds the old look
    owner = owner_client(client_for)
    saved = _save(owner, **NEW_LOOK)
    assert saved.status_code == 303 and saved.headers["Location"] == "/console/brand"
    assert "Saved. Your shop shows the new look now." in owner.get("/console/brand").text
    reseller = _acme(app)
    assert (reseller.theme, reseller.color_primary, reseller.color_accent) == ("bazaar", "#7c3aed", "#fde047")
    assert reseller.support_email == "help@acme-hosting.test"
    page = visitor.get("/").text
    assert (
        'class="theme-bazaar"' in page and "Acme Cloud" in page and "Hosting that keeps up with you." in page
    )
    assert "+60 3 8888 0000" in page and "Every day 8:00–20:00" in page  # Bazaar's contact strip
    assert "--brand-primary: #7c3aed;" in visitor.get(_linked(page, "/brand.css")).text
    assert "/* Bazaar theme" in visitor.get(_linked(page, "/theme/theme.css")).text
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "brand"))
    assert entry.actor_role == "owner" and entry.record == f"reseller:{reseller.id}"
    assert "theme" in entry.reason and "color_primary" in entry.reason and "support_hours" in entry.reason


def test_saving_the_same_values_changes_nothing(app, demo, client_for) -> None:
    before = _brand_of(_acme(app))
    assert _save(owner_client(client_for)).status_code == 303
    assert _brand_of(_acme(app)) == before
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "brand")) is None


def test_text_without_enough_contrast_is_refused_and_nothing_saved(app, demo, client_for) -> None:
    before = _brand_of(_acme(app))
    refused = _save(
        owner_client(client_for), color_text="#777777", color_background="#ffffff", theme="editorial"
    )
    assert refused.status_code == 400
    assert "#777777 on the background #ffffff has a contrast of only 4.48:1" in refused.text
    assert "WCAG AA needs at least 4.5:1" in refused.text and "Choose a darker text colour" in refused.text
    assert _brand_of(_acme(app)) == before


def test_light_text_on_a_dark_background_is_told_to_go_lighter(demo, client_for) -> None:
    refused = _save(
        owner_client(client_for), color_text="#555555", color_background="#111111", theme="bazaar"
    )
    assert (
        refused.status_code == 400 and "Choose a lighter text colour or a darker background" in refused.text
    )


def test_the_default_theme_needs_a_readable_primary_colour_too(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    amber = {"color_primary": "#f59e0b", "color_background": "#ffffff"}
    refused = _save(owner, theme="default", **amber)
    assert refused.status_code == 400
    assert "The Default theme shows this colour as text on the background" in refused.text
    assert "#f59e0b on #ffffff has only 2.15:1" in refused.text
    assert "a theme that uses it only as a fill (Bazaar, Editorial)" in refused.text
    assert _acme(app).color_primary == "#c2410c"
    assert _save(owner, theme="editorial", **amber).status_code == 303  # Editorial only fills with it
    assert _acme(app).color_primary == "#f59e0b"


def _rules(css: str) -> list[dict[str, str]]:
    rules = []
    for body in re.findall(r"\{([^{}]*)\}", css):
        pairs = (part.split(":", 1) for part in body.split(";") if ":" in part)
        rules.append({name.strip(): value.strip() for name, value in pairs})
    return rules


@pytest.mark.parametrize("theme", available_themes())
def test_no_theme_writes_the_accent_or_background_as_text_on_the_page(theme: str) -> None:
    css = "".join(Path(theme_asset_path(theme, name)).read_text() for name in ("base.css", "theme.css"))
    unchecked = [
        rule
        for rule in _rules(css)
        if rule.get("color") in {"var(--brand-accent)", "var(--brand-background)"}
        and rule.get("background", "transparent") == "transparent"
    ]
    assert unchecked == []


@pytest.mark.parametrize("theme", available_themes())
def test_the_primary_contrast_rule_follows_the_theme_stylesheets(theme: str) -> None:
    css = "".join(Path(theme_asset_path(theme, name)).read_text() for name in ("base.css", "theme.css"))
    primary_text_on_page = any(
        rule.get("color") == "var(--brand-primary)" and rule.get("background", "transparent") == "transparent"
        for rule in _rules(css)
    )
    assert primary_text_on_page == (theme in PRIMARY_AS_TEXT_THEMES)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"color_primary": "blue"}, "Use a colour code like #1d4ed8"),
        ({"color_accent": "#12345"}, "Use a colour code like #1d4ed8"),
        ({"color_background": "#gggggg"}, "Use a colour code like #1d4ed8"),
        ({"color_text": "#1c1917; background: url(x)"}, "Use a colour code like #1d4ed8"),
        ({"theme": "hacker"}, "Choose one of the themes: Default, Bazaar, Editorial."),
        ({"theme": "../default"}, "Choose one of the themes"),
        ({"support_email": "not-an-email"}, "Please enter a valid email address."),
        ({"support_email": "help@webserver.com.my"}, "must never learn who hosts the shop"),
        ({"support_email": "support@kedaihosting.test"}, "Another shop already receives its mail"),
        ({"support_phone": "call me maybe"}, "Use digits, spaces and + ( ) - . only"),
        ({"support_phone": "+603 2770 2833"}, "must never learn who hosts the shop"),
        ({"support_phone": "03-2770 2833"}, "must never learn who hosts the shop"),
        ({"support_phone": "(03) 27702833"}, "must never learn who hosts the shop"),
        ({"support_phone": "00 603 2770 2833"}, "must never learn who hosts the shop"),
        ({"brand_name": "   "}, "Enter the shop&#39;s name."),
        ({"brand_name": "x" * 81}, "Field cannot be longer than 80 characters."),
        ({"tagline": "Hello\x00there"}, "Remove the invisible control characters"),
    ],
)
def test_bad_values_are_refused_with_a_message(app, demo, client_for, changes, message) -> None:
    before = _brand_of(_acme(app))
    refused = _save(owner_client(client_for), **changes)
    assert refused.status_code == 400 and message in refused.text
    assert _brand_of(_acme(app)) == before


def test_brand_text_is_shown_as_text(app, demo, client_for) -> None:
    name, tagline = "<script>alert(1)</script>{{7*7}}", '"><img src=x onerror=alert(1)>'
    assert _save(owner_client(client_for), brand_name=name, tagline=tagline).status_code == 303
    page = client_for(ACME).get("/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}" in page and "<script>alert" not in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page


def test_extra_fields_are_ignored(app, demo, client_for) -> None:
    before = _acme(app)
    extra = {
        "slug": "stolen",
        "id": "999",
        "reseller_id": "999",
        "revision": "1",
        "active": "false",
        "logo_etag": "forged",
        "escalation_persona": "Platform staff",
        "first_response_hours": "1",
        "currency": "USD",
    }
    assert _save(owner_client(client_for), tagline="Still ours.", **extra).status_code == 303
    after = _acme(app)
    assert after.tagline == "Still ours." and after.revision > before.revision
    kept = ("slug", "id", "active", "logo_etag", "escalation_persona", "first_response_hours", "currency")
    for name in kept:
        assert getattr(after, name) == getattr(before, name), name


def test_an_agent_is_refused_the_brand_pages(app, demo, client_for) -> None:
    agent = client_for(ACME)
    team_sign_in(agent, "agent@acme-hosting.test")
    token = csrf_from(agent.get("/console/tickets").text)
    before = _brand_of(_acme(app))
    for path in ("/console/brand", "/console/brand/preview", "/console/brand/preview.css"):
        assert agent.get(path).status_code == 403, path
    assert agent.get("/console/brand/preview/asset?theme=bazaar&file=theme.css").status_code == 403
    assert agent.post("/console/brand", data={**NEW_LOOK, "csrf_token": token}).status_code == 403
    assert _brand_of(_acme(app)) == before
    assert 'href="/console/brand"' not in agent.get("/console/tickets").text


def test_a_post_without_the_csrf_token_is_refused(app, demo, client_for) -> None:
    before = _brand_of(_acme(app))
    assert owner_client(client_for).post("/console/brand", data=NEW_LOOK).status_code == 400
    assert _brand_of(_acme(app)) == before


def test_the_page_previews_live_and_links_the_support_settings(demo, client_for) -> None:
    page = owner_client(client_for).get("/console/brand").text
    assert 'href="/console/settings/support"' in page
    form = re.search(r'<form id="brand-form"[^>]*>', page).group(0)
    assert (
        'hx-get="/console/brand/preview"' in form and 'hx-trigger="input changed delay:300ms, change"' in form
    )
    assert 'hx-target="#brand-preview"' in form and 'method="post"' in form
    frame = re.search(r"<iframe[^>]*>", page).group(0)
    assert 'title="Preview"' in frame and 'name="brand-preview-frame"' in frame
    preview = re.search(r'<button[^>]*formaction="/console/brand/preview"[^>]*>', page).group(0)
    assert 'formmethod="get"' in preview and 'formtarget="brand-preview-frame"' in preview
    assert re.search(r'<button type="submit" name="csrf_token" value="[^"]+"[^>]*>Save</button>', page)


def test_the_preview_shows_the_proposed_look_and_saves_nothing(app, demo, client_for) -> None:
    visitor = client_for(ACME)
    visitor.get("/")
    before = _brand_of(_acme(app))
    owner = owner_client(client_for)
    proposal = {**SAVED, "theme": "editorial", "brand_name": "Acme Preview", "color_primary": "#123456"}
    preview = owner.get("/console/brand/preview", query_string=proposal)
    assert preview.status_code == 200
    page = preview.text
    assert 'class="theme-editorial"' in page and "Acme Preview" in page
    # The shop's public stylesheet URLs keep the saved look, so the preview never links them.
    assert "/brand.css" not in page and 'href="/theme/' not in page
    assert "--brand-primary: #123456;" in owner.get(_linked(page, "/console/brand/preview.css")).text
    assets = r"/console/brand/preview/asset\?theme=editorial&amp;file="
    assert "/* Editorial theme" in owner.get(_linked(page, f"{assets}theme.css")).text
    assert "Layout primitives" in owner.get(_linked(page, f"{assets}base.css")).text
    assert _brand_of(_acme(app)) == before
    public = visitor.get("/").text
    assert 'class="theme-default"' in public and "Acme Preview" not in public
    assert "#123456" not in visitor.get(_linked(public, "/brand.css")).text


def test_preview_responses_may_be_framed_by_the_console_only(demo, client_for) -> None:
    owner = owner_client(client_for)
    for path in ("/console/brand/preview", "/console/brand/preview.css"):
        response = owner.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'self'" in policy and "'none'" not in policy.split("frame-ancestors")[1]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert "no-store" in response.headers["Cache-Control"]
    console = owner.get("/console/brand")
    assert console.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in console.headers["Content-Security-Policy"]


def test_htmx_gets_the_preview_pane_with_the_proposal(demo, client_for) -> None:
    owner = owner_client(client_for)
    proposal = {**SAVED, "theme": "bazaar", "color_accent": "#FACC15", "csrf_token": "ignored"}
    fragment = owner.get("/console/brand/preview", query_string=proposal, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="brand-preview"') and "<html" not in fragment.text
    assert "Text on background: 16.86:1" in fragment.text
    src = html.unescape(re.search(r'<iframe[^>]*title="Preview" src="([^"]+)"', fragment.text).group(1))
    assert "theme=bazaar" in src and "color_accent=%23facc15" in src and "csrf_token" not in src
    framed = owner.get(src)
    assert framed.status_code == 200 and 'class="theme-bazaar"' in framed.text


def test_invalid_proposals_show_their_problem_in_the_preview(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    bad = {**SAVED, "color_text": "#fffaf5", "theme": "nope"}
    fragment = owner.get("/console/brand/preview", query_string=bad, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'role="alert"' in fragment.text
    assert "Choose one of the themes" in fragment.text
    assert 'src="/console/brand/preview"' in fragment.text  # the saved look meanwhile
    page = owner.get("/console/brand/preview", query_string={**SAVED, "color_text": "#fffaf5"})
    assert page.status_code == 400 and "contrast of only 1.00:1" in page.text
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    css = owner.get("/console/brand/preview.css", query_string={"color_primary": "red;}body{x:y"})
    assert css.status_code == 400 and "red" not in css.text


def test_preview_assets_refuse_unknown_themes_and_traversal(demo, client_for) -> None:
    owner = owner_client(client_for)
    for query in (
        "theme=nope&file=theme.css",
        "theme=bazaar&file=../templates/home.html",
        "theme=bazaar&file=/etc/passwd",
        "theme=../../storefront&file=config.py",
        "theme=bazaar",
    ):
        assert owner.get(f"/console/brand/preview/asset?{query}").status_code == 404, query


def test_a_stale_brand_stylesheet_version_is_not_cached_for_a_year(demo, client_for) -> None:
    visitor = client_for(ACME)
    current = visitor.get(_linked(visitor.get("/").text, "/brand.css"))
    assert {"public", "immutable", "max-age=31536000"} <= set(current.headers["Cache-Control"].split(", "))
    stale = visitor.get("/brand.css?v=0123456789abcdef").headers["Cache-Control"]
    assert "immutable" not in stale and "no-cache" in stale


def test_a_theme_file_under_another_files_version_is_not_cached_for_a_year(demo, client_for) -> None:
    """Asking for a theme file with the version of another theme's file must not pin it in shared caches.

    Otherwise anyone could fetch /theme/theme.css?v=<bazaar's version> while the shop uses the
    default theme, and a cache would keep serving the default stylesheet there after the switch.
    """
    visitor = client_for(ACME)
    current = visitor.get(_linked(visitor.get("/").text, "/theme/theme.css"))
    assert "max-age=31536000" in current.headers["Cache-Control"]
    bazaar = theme_asset_path("bazaar", "theme.css")
    other_version = hashlib.sha256(Path(bazaar).read_bytes()).hexdigest()[:12]
    stale = visitor.get(f"/theme/theme.css?v={other_version}").headers["Cache-Control"]
    assert "max-age=31536000" not in stale


def test_a_support_address_on_an_idn_domain_is_kept_in_its_ascii_form(app, demo, client_for) -> None:
    """Every shop email is sent from the support address, and mail headers need it in ASCII.

    Stored in Unicode, it made every email of the shop (sign-up, reset, checkout) fail with a 500.
    """
    assert _save(owner_client(client_for), support_email="Help@Bücher.test").status_code == 303
    assert _acme(app).support_email == "help@xn--bcher-kva.test"
    visitor = client_for(ACME)
    reset = visitor.post(
        "/reset", data={"email": "aisyah@example.com", "csrf_token": csrf_from(visitor.get("/reset").text)}
    )
    assert reset.status_code in (302, 303)
    assert [m.to_address for m in outbox(app, kind="reset_password")] == ["aisyah@example.com"]


def test_a_support_address_that_mail_cannot_send_from_is_refused(app, demo, client_for) -> None:
    before = _brand_of(_acme(app))
    refused = _save(owner_client(client_for), support_email="süpport@acme-hosting.test")
    assert refused.status_code == 400 and "before the @-sign are not supported" in refused.text
    assert _brand_of(_acme(app)) == before
