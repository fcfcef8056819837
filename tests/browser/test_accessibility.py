"""The console and the staff desk for everyone: the console home, ticket list and a ticket, the
staff escalation screen and the desk's home each fit a 390 px phone and a 1366 px screen without
scrolling sideways, axe-core finds nothing serious or critical in them, and Lighthouse scores
their accessibility at 95 or more. Screenshots and Lighthouse's reports stay in test-artifacts/."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from storefront.commerce.statement import month_of
from storefront.models import StaffRole, Ticket, utcnow
from tests.browser.steps import sign_in
from tests.console.test_home import KL, add_sales
from tests.staff.escalation_helpers import open_for
from tests.steps import number_of

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "a11y" / "node_modules"
AXE = TOOLS / "axe-core" / "axe.min.js"
LIGHTHOUSE = TOOLS / ".bin" / "lighthouse"
REPORTS = ROOT / "test-artifacts" / "a11y"
SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
MINIMUM_SCORE = 95
FITS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
AXE_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ["violations"]});
    return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)}));
}"""


@pytest.fixture
def a11y_tools() -> Path:
    """The pinned axe-core and Lighthouse from tools/a11y (``make install`` runs npm ci there)."""
    if not (AXE.exists() and LIGHTHOUSE.exists()):
        message = "the accessibility tools are missing: run make install (npm ci in tools/a11y)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    REPORTS.mkdir(parents=True, exist_ok=True)
    return TOOLS


@pytest.fixture
def panels(app, live_server, make_staff) -> dict[str, tuple[str, str, str, str]]:
    """Each page to check: (its URL, the sign-in page, email, password), with data on every page."""
    month = month_of(utcnow(), KL)
    add_sales(
        app,
        "acme",
        [(month.shifted(-n).starts_at(KL) + timedelta(days=2), 40_000 + n * 3_100) for n in range(12)],
    )
    add_sales(app, "acme", [(None, 12_900)])
    open_for(app, "acme", "Cannot reach my control panel", hours_ago=30)
    ticket = open_for(app, "acme", "My website shows an error since this morning", escalated=True)
    open_for(app, "bluewave", "DNS not resolving", hours_ago=30)
    make_staff(email="ops@platform.test", role=StaffRole.ADMIN)
    shop, staff = f"http://acme.localhost:{live_server}", f"http://staff.localhost:{live_server}"
    owner = (f"{shop}/console/login", "owner@acme-hosting.test", "storefront-demo")
    desk = (f"{staff}/staff/login", "ops@platform.test", "correct horse battery")
    return {
        "console-home": (f"{shop}/console/", *owner),
        "console-tickets": (f"{shop}/console/tickets", *owner),
        "console-ticket": (f"{shop}/console/tickets/{number_of(app, Ticket, ticket)}", *owner),
        "staff-escalations": (f"{staff}/staff/escalations", *desk),
        "staff-desk": (f"{staff}/staff/", *desk),
    }


def _signed_in_context(browser, login: str, email: str, password: str, viewport: dict):
    # axe-core is injected as a script, which the pages' CSP rightly refuses; this context lets it in.
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    page = context.new_page()
    sign_in(page, login, email, password)
    page.wait_for_url(re.compile(r"/(console|staff)/"))
    return context, page


def test_the_panels_fit_every_screen_and_axe_finds_nothing_serious(
    browser, panels, a11y_tools, screenshot
) -> None:
    found = {}
    for screen, viewport in SCREENS.items():
        for name, (url, *account) in panels.items():
            context, page = _signed_in_context(browser, *account, viewport)
            page.goto(url)
            assert page.get_by_role("main").is_visible(), url
            width, window = page.evaluate(FITS)
            screenshot(page, f"a11y-{name}-{screen}")
            assert width <= window, f"{name} on a {viewport['width']} px screen is {width} px wide"
            page.add_script_tag(path=str(AXE))
            serious = [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]
            found[f"{name} at {viewport['width']} px"] = serious
            context.close()
    (REPORTS / "axe.json").write_text(json.dumps(found, indent=2))
    assert not any(found.values()), json.dumps({k: v for k, v in found.items() if v}, indent=2)


def test_lighthouse_scores_the_panels_accessibility_at_95_or_more(browser, panels, a11y_tools) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    scores = {}
    for name, (url, *account) in panels.items():
        context, _ = _signed_in_context(browser, *account, SCREENS["desktop"])
        host = url.split("/")[2].split(":")[0]
        cookies = "; ".join(
            f"{c['name']}={c['value']}" for c in context.cookies() if c["domain"].lstrip(".") == host
        )
        context.close()
        report = REPORTS / f"lighthouse-{name}.json"
        run = subprocess.run(
            [
                str(LIGHTHOUSE),
                url,
                "--only-categories=accessibility",
                "--output=json",
                f"--output-path={report}",
                "--quiet",
                "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run",
                f"--extra-headers={json.dumps({'Cookie': cookies})}",
            ],
            env={**os.environ, "CHROME_PATH": chromium},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        result = json.loads(report.read_text())
        assert result["finalDisplayedUrl"] == url, (
            f"{name}: Lighthouse was sent to {result['finalDisplayedUrl']}"
        )
        category = result["categories"]["accessibility"]
        failing = [
            ref["id"]
            for ref in category["auditRefs"]
            if ref["weight"] and result["audits"][ref["id"]]["score"] not in (None, 1)
        ]
        scores[name] = (round(category["score"] * 100), failing)
    (REPORTS / "lighthouse-scores.json").write_text(json.dumps(scores, indent=2))
    assert all(score >= MINIMUM_SCORE for score, _ in scores.values()), scores
