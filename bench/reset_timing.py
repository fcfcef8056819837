"""Does /reset take longer for an address with an account than for one without?

Builds the demo on a fresh SQLite file, then posts /reset in-process with the app's test client,
alternating Acme's demo customer (known) and an address Acme has no account for (unknown), and
times each request. Prints both medians, the Mann–Whitney U rank test's two-sided p-value (normal
approximation with tie correction; p > 0.05: the two sets of timings are not told apart), and how
many requests the best single time threshold sorts correctly (half of them is chance).

    .venv/bin/python bench/reset_timing.py [--requests 200] [--warm-up 20]
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.in_process import make_app  # noqa: E402

SHOP = "http://acme.localhost"
KNOWN, UNKNOWN = "aisyah@example.com", "nobody@example.com"


def mann_whitney_u(first: list[float], second: list[float]) -> tuple[float, float]:
    """Return U of ``first`` and the two-sided p-value (normal approximation, ties corrected)."""
    pooled = sorted([(value, 0) for value in first] + [(value, 1) for value in second])
    ranks, tie_term, start = [0.0] * len(pooled), 0.0, 0
    while start < len(pooled):
        end = start
        while end + 1 < len(pooled) and pooled[end + 1][0] == pooled[start][0]:
            end += 1
        for index in range(start, end + 1):
            ranks[index] = (start + end) / 2 + 1
        tied = end - start + 1
        tie_term += tied**3 - tied
        start = end + 1
    n1, n2 = len(first), len(second)
    n = n1 + n2
    u = sum(rank for rank, (_, group) in zip(ranks, pooled, strict=True) if group == 0) - n1 * (n1 + 1) / 2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))))
    z = max(abs(u - n1 * n2 / 2) - 0.5, 0) / sigma  # with continuity correction
    return u, math.erfc(z / math.sqrt(2))


def best_threshold(known: list[float], unknown: list[float]) -> int:
    """How many requests the best rule "slower than t is known" (or its reverse) sorts correctly."""
    best = 0
    for cut in sorted(known + unknown):
        right = sum(t > cut for t in known) + sum(t <= cut for t in unknown)
        best = max(best, right, len(known) + len(unknown) - right)
    return best


def _app(directory: Path):
    app = make_app(directory)
    app.config.update(
        RATELIMIT_RESET_PER_EMAIL="1000000 per hour",
        RATELIMIT_RESET_PER_ADDRESS="1000000 per hour",
        WTF_CSRF_ENABLED=True,
    )
    from flask_migrate import upgrade

    from storefront.demo import seed_demo

    with app.app_context():
        upgrade()
        seed_demo()
    return app


def measure(app, requests: int, warm_up: int) -> dict[str, list[float]]:
    """Post /reset ``warm_up`` + ``requests`` times, known and unknown in turn; return the timings."""
    client = app.test_client()
    page = client.get("/reset", base_url=SHOP).text
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)
    timings: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    for index in range(warm_up + requests):
        email = (KNOWN, UNKNOWN)[index % 2]
        started = time.perf_counter()
        answer = client.post("/reset", data={"email": email, "csrf_token": token}, base_url=SHOP)
        elapsed = (time.perf_counter() - started) * 1000
        assert answer.status_code == 302, answer.status_code
        if index >= warm_up:
            timings[email].append(elapsed)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warm-up", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        timings = measure(_app(Path(directory)), args.requests, args.warm_up)
    known, unknown = timings[KNOWN], timings[UNKNOWN]
    u, p = mann_whitney_u(known, unknown)
    print(f"{len(known) + len(unknown)} requests to /reset, known and unknown addresses in turn")
    print(f"median known   {statistics.median(known):7.2f} ms")
    print(f"median unknown {statistics.median(unknown):7.2f} ms")
    print(f"Mann-Whitney U {u:.0f}, two-sided p = {p:.3f}")
    print(f"best single threshold sorts {best_threshold(known, unknown)} of {len(known) + len(unknown)}")


if __name__ == "__main__":
    main()
