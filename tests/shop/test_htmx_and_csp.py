"""htmx from the CDN with SRI, the same bytes served locally, and a CSP without inline script."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

import storefront
from storefront.config import HTMX_SRI, HTMX_VERSION

LOCAL_HTMX = Path(storefront.__file__).parent / "static" / "vendor" / "htmx.min.js"
PAGES = ["/", "/plans", "/plans/starter", "/privacy", "/contact", "/missing"]


def test_local_htmx_copy_matches_the_sri_hash_the_pages_carry(demo, client_for) -> None:
    digest = base64.b64encode(hashlib.sha384(LOCAL_HTMX.read_bytes()).digest()).decode()
    assert f"sha384-{digest}" == HTMX_SRI
    assert (
        f"htmx v{HTMX_VERSION}".encode() in LOCAL_HTMX.read_bytes()[:200]
        or HTMX_VERSION.encode() in LOCAL_HTMX.read_bytes()
    )
    html = client_for("acme.localhost").get("/").text
    script = re.search(r'<script src="([^"]+)" integrity="([^"]+)" crossorigin="anonymous" defer>', html)
    assert script.group(2) == HTMX_SRI
    served = client_for("acme.localhost").get(script.group(1))
    assert served.data == LOCAL_HTMX.read_bytes()


def test_production_pages_load_htmx_from_the_cdn(app, demo, client_for) -> None:
    app.config["HTMX_USE_LOCAL"] = False
    response = client_for("acme.localhost").get("/")
    src = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
    assert f'<script src="{src}" integrity="{HTMX_SRI}"' in response.text
    assert "script-src 'self' https://cdn.jsdelivr.net" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("host", ["acme.localhost", "bluewave.localhost", "kedai.localhost"])
def test_no_inline_script_or_style_and_a_strict_csp(demo, client_for, host: str) -> None:
    client = client_for(host)
    for path in PAGES:
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "script-src 'self'" in csp and "object-src 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        html = response.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path
