"""Measure /plans throughput under gunicorn against two ceilings, in one run.

Builds a demo database, starts the storefront and a ceiling app (bare "hello", and
one query rendered in a comparable template) under gunicorn with the same worker
settings, drives each with wrk (or a small Python client when wrk is missing), and
prints requests per second and the ratio of /plans to each ceiling. A second
storefront with the page cache turned off shows the cost of rendering afresh.

The numbers come from wrk (Debian package `wrk`); without it a slow Python client stands in,
which cannot load the server enough for the ratios to mean much.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# /plans against the one-query ceiling: served from the page cache, and rendered for every request.
CACHED_TARGET, AFRESH_TARGET = 1.0, 0.5


def production_env(database_url: str) -> dict[str, str]:
    """The environment benchmarked servers run in: production MODE with everything it demands."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "STOREFRONT_MODE": "production",
        "STOREFRONT_SECRET_KEY": secrets.token_urlsafe(48),
        "STOREFRONT_MAIL_SMTP_HELO_NAME": "mail.bench.test",
        "STOREFRONT_INBOUND_SMTP_HOSTNAME": "mx.bench.test",
        # Several workers share one count, as in production; keys expire with their windows.
        "STOREFRONT_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "STOREFRONT_RATELIMIT_KEY_PREFIX": f"bench-{secrets.token_hex(6)}",
    }


def build_database(directory: Path) -> dict[str, str]:
    """Create the demo database; return the environment that serves it."""
    env = production_env(f"sqlite:///{directory / 'bench.db'}")
    for command in (["init-db"], ["seed-demo"]):
        subprocess.run([str(BIN / "storefront"), *command], env=env, check=True, capture_output=True)
    return env


def start_gunicorn(app: str, port: int, env: dict, workers: int) -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--no-control-socket",  # several servers run side by side
        app,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except urllib.error.HTTPError:
            return process  # answering, even if with a 404
        except OSError:
            time.sleep(0.2)
            continue
        return process
    process.kill()
    raise RuntimeError(f"{app} did not start on port {port}")


def wrk_rps(url: str, host: str, seconds: int, connections: int) -> float:
    run = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-H", f"Host: {host}", url],
        capture_output=True,
        text=True,
    )
    output = run.stdout
    if run.returncode or "Non-2xx" in output:
        raise RuntimeError(f"{url} failed:\n{output}{run.stderr}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def python_rps(url: str, host: str, seconds: int, connections: int) -> float:
    request = urllib.request.Request(url, headers={"Host": host})
    count, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        with urllib.request.urlopen(request) as response:
            response.read()
        count += 1
    return count / seconds


def measure(
    targets: dict[str, tuple[str, str]], seconds: int, rounds: int, connections: int
) -> dict[str, float]:
    driver = wrk_rps if shutil.which("wrk") else python_rps
    results: dict[str, list[float]] = {name: [] for name in targets}
    for url, host in targets.values():  # warm up every worker
        driver(url, host, 2, connections)
    for _ in range(rounds):  # interleave so drift hits every target alike
        for name, (url, host) in targets.items():
            results[name].append(driver(url, host, seconds, connections))
    return {name: statistics.median(values) for name, values in results.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**build_database(Path(tmp)), "STOREFRONT_HTMX_USE_LOCAL": "true"}
        uncached = {**env, "STOREFRONT_PAGE_CACHE_SIZE": "0"}
        servers = [
            start_gunicorn("wsgi:app", 8701, env, args.workers),
            start_gunicorn("bench.ceiling:app", 8702, env, args.workers),
            start_gunicorn("wsgi:app", 8703, uncached, args.workers),
        ]
        try:
            rps = measure(
                {
                    "storefront /plans": ("http://127.0.0.1:8701/plans", "acme.localhost"),
                    "ceiling hello": ("http://127.0.0.1:8702/hello", "localhost"),
                    "ceiling one query": ("http://127.0.0.1:8702/one-query", "localhost"),
                    "/plans, no page cache": ("http://127.0.0.1:8703/plans", "acme.localhost"),
                },
                args.seconds,
                args.rounds,
                args.connections,
            )
        finally:
            for server in servers:
                server.terminate()
                server.wait()
    driver = "wrk" if shutil.which("wrk") else "python client"
    print(
        f"driver: {driver}, {args.workers} gunicorn worker(s), {args.connections} connections, "
        f"median of {args.rounds} x {args.seconds}s"
    )
    for name, value in rps.items():
        print(f"  {name:<20} {value:8.0f} req/s")
    plans = rps["storefront /plans"]
    print(f"  /plans vs hello:     {plans / rps['ceiling hello']:.2f}x")
    cached = plans / rps["ceiling one query"]
    print(f"  /plans vs one query: {cached:.2f}x  (target: {CACHED_TARGET}x or more)")
    rendered = rps["/plans, no page cache"] / rps["ceiling one query"]
    print(f"  /plans rendered afresh vs one query: {rendered:.2f}x  (target: {AFRESH_TARGET}x or more)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
