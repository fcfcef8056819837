"""Fail a test run that skipped anything but the skips CI allows, read from pytest's JUnit XML report.

Allowed: the PostgreSQL-only tests on a SQLite run, and the browser tests where no Chromium is
installed (CI installs it, so there every browser test must run).

    python scripts/check_skips.py REPORT.xml --database sqlite|postgresql
"""

from __future__ import annotations

import argparse
import shutil
import sys
import xml.etree.ElementTree as ElementTree

# The reasons as the suite gives them: tests/conftest.py and tests/browser/conftest.py.
POSTGRES_ONLY = "needs PostgreSQL row locks: set TEST_DATABASE_URL"
NO_CHROMIUM = "no system Chromium: apt-get install chromium chromium-driver"


def allowed_reasons(database: str, chromium_installed: bool) -> set[str]:
    """The skip reasons this run may show."""
    allowed = set()
    if database == "sqlite":
        allowed.add(POSTGRES_ONLY)
    if not chromium_installed:
        allowed.add(NO_CHROMIUM)
    return allowed


def skipped_tests(report: str) -> list[tuple[str, str]]:
    """Return (test id, reason) for every skipped or xfailed test in a JUnit XML report."""
    found = []
    for case in ElementTree.parse(report).iter("testcase"):
        skipped = case.find("skipped")
        if skipped is not None:
            test_id = f"{case.get('classname')}::{case.get('name')}"
            found.append((test_id, skipped.get("message", "")))
    return found


def count_tests(report: str) -> int:
    """How many tests the report lists."""
    return sum(1 for _ in ElementTree.parse(report).iter("testcase"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], required=True)
    args = parser.parse_args()
    if count_tests(args.report) == 0:
        print(f"{args.report}: no test ran", file=sys.stderr)
        return 1
    chromium = shutil.which("chromium") is not None or shutil.which("chromium-browser") is not None
    allowed = allowed_reasons(args.database, chromium)
    unexpected = [(test, reason) for test, reason in skipped_tests(args.report) if reason not in allowed]
    for test, reason in unexpected:
        print(f"unexpected skip on {args.database}: {test}: {reason}", file=sys.stderr)
    if unexpected:
        print(f"{len(unexpected)} test(s) skipped for reasons CI does not allow", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
