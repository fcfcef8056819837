"""Measure the escalation screen under gunicorn: the queue page, a "nothing changed" poll, the inbox.

Builds a SQLite database (the demo data plus more shops: 5,000 tickets over 50 shops),
signs the demo staff member (and a shop's team owner, when the console inbox exists) in
with the app's own test client to get session cookies, starts the storefront under
gunicorn on loopback, and drives each URL with wrk (or a small Python client when wrk
is missing), printing requests per second and each answer's size.
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
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from bench.plans_throughput import production_env, start_gunicorn  # noqa: E402

PORT = 8711
SHOPS, TICKETS = 50, 5000
DEMO_PASSWORD = "storefront-demo"


@dataclass
class Target:
    """One URL to drive, with the host and headers it needs."""

    url: str
    host: str
    headers: dict[str, str] = field(default_factory=dict)


def build_database(directory: Path, env: dict[str, str]) -> None:
    """Create the schema and the demo, then add shops and tickets up to 50 and 5,000."""
    for command in (["init-db"], ["seed-demo"]):
        subprocess.run([str(BIN / "storefront"), *command], env=env, check=True, capture_output=True)
    app = _app(env)
    with app.app_context():
        shop_ids = _add_shops(SHOPS)
        _add_tickets(shop_ids, TICKETS)


def _app(env: dict[str, str]):
    os.environ.update(env)
    from storefront import create_app

    return create_app()


def _add_shops(total: int) -> list[int]:
    from sqlalchemy import func, insert, select

    from storefront.extensions import db
    from storefront.models import Reseller

    have = db.session.scalar(select(func.count(Reseller.id)))
    db.session.execute(
        insert(Reseller),
        [
            {
                "slug": f"bench{n:03d}",
                "brand_name": f"Bench Shop {n:03d}",
                "legal_name": f"Bench Shop {n:03d} Sdn. Bhd.",
                "support_email": f"help@bench{n:03d}.test",
            }
            for n in range(have, total)
        ],
    )
    db.session.commit()
    return list(db.session.scalars(select(Reseller.id).order_by(Reseller.id)))


def _add_tickets(shop_ids: list[int], count: int) -> None:
    """A third escalated, half the rest long past their deadline, the others due in a month."""
    from sqlalchemy import insert

    from storefront.extensions import db
    from storefront.models import Escalation, Ticket, TicketStatus, TicketTier, utcnow

    now, rows = utcnow(), []
    for n in range(count):
        escalated, late = n % 3 == 0, n % 2 == 0
        opened = now - timedelta(hours=2 + n % 200)
        rows.append(
            {
                "reseller_id": shop_ids[n % len(shop_ids)],
                "guest_email": f"guest{n}@example.com",
                "subject": f"Bench ticket {n}",
                "status": TicketStatus.ESCALATED if escalated else TicketStatus.OPEN,
                "tier": TicketTier.PLATFORM if escalated else TicketTier.RESELLER,
                "priority": n % 3,
                "reply_token": secrets.token_urlsafe(18),
                "awaiting_reply_since": opened,
                "reply_due_at": opened + timedelta(hours=1) if late else now + timedelta(days=30),
                "escalated_at": opened if escalated else None,
                "created_at": opened,
                "updated_at": opened,
            }
        )
    ids = db.session.scalars(insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), rows).all()
    escalations = [
        {"reseller_id": row["reseller_id"], "ticket_id": ticket_id, "by": "customer", "reason": "asked"}
        for ticket_id, row in zip(ids, rows, strict=True)
        if row["tier"] == TicketTier.PLATFORM
    ]
    db.session.execute(insert(Escalation), escalations)
    db.session.commit()


def _signed_in(app, host: str, login_path: str, email: str):
    """Sign in through the login form with the test client; return the client and its session cookie."""
    client = app.test_client()
    base = f"http://{host}"
    page = client.get(login_path, base_url=base).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"email": email, "password": DEMO_PASSWORD, "csrf_token": token}
    answer = client.post(login_path, data=form, base_url=base)
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"signing in at {host}{login_path} failed: {answer.status_code}")
    return client, {"Cookie": f"session={client.get_cookie('session', domain=host).value}"}


def _poll_path(client) -> str:
    """Return the poll URL the queue was rendered with: its fingerprint is the current one."""
    page = client.get("/staff/escalations", base_url="http://staff.localhost").text
    section = re.search(r'<section id="escalation-queue"[^>]*>', page).group(0)
    return re.search(r'hx-get="([^"]+)"', section).group(1).replace("&amp;", "&")


def targets(env: dict[str, str]) -> tuple[dict[str, Target], str]:
    """Return the URLs to measure (with session cookies) and a note on what was skipped."""
    app = _app(env)
    base, htmx = f"http://127.0.0.1:{PORT}", {"HX-Request": "true"}
    client, staff = _signed_in(app, "staff.localhost", "/staff/login", "staff@webserver.com.my")
    found = {
        "escalation screen": Target(f"{base}/staff/escalations", "staff.localhost", staff),
        "shop filter (htmx)": Target(f"{base}/staff/escalations?shop=5", "staff.localhost", staff | htmx),
        "poll, nothing changed": Target(f"{base}{_poll_path(client)}", "staff.localhost", staff | htmx),
    }
    if "console.tickets" not in app.view_functions:
        return found, "console inbox: skipped (no /console/tickets route)"
    _, team = _signed_in(app, "acme.localhost", "/console/login", "owner@acme-hosting.test")
    found["console inbox (acme)"] = Target(f"{base}/console/tickets", "acme.localhost", team)
    return found, ""


def answer_size(target: Target) -> tuple[int, int, int]:
    """Return the status, body bytes and header bytes of one request to ``target``."""
    request = urllib.request.Request(target.url, headers={"Host": target.host, **target.headers})
    with urllib.request.urlopen(request) as response:
        body = response.read()
        headers = sum(len(f"{name}: {value}\r\n") for name, value in response.getheaders())
        return response.status, len(body), headers


def checked(name: str, target: Target) -> tuple[int, int, int]:
    """Return ``answer_size(target)``, naming the target if it does not answer 2xx."""
    try:
        return answer_size(target)
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{name} ({target.url}) answered {error.code}") from error


def wrk_rps(target: Target, seconds: int, connections: int) -> float:
    headers = [
        arg
        for name, value in {"Host": target.host, **target.headers}.items()
        for arg in ("-H", f"{name}: {value}")
    ]
    run = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", *headers, target.url],
        capture_output=True,
        text=True,
    )
    if run.returncode or "Non-2xx" in run.stdout:
        raise RuntimeError(f"{target.url} failed:\n{run.stdout}{run.stderr}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", run.stdout).group(1))


def python_rps(target: Target, seconds: int, connections: int) -> float:
    count, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer_size(target)
        count += 1
    return count / seconds


def measure(found: dict[str, Target], seconds: int, rounds: int, connections: int) -> dict[str, float]:
    driver = wrk_rps if shutil.which("wrk") else python_rps
    results: dict[str, list[float]] = {name: [] for name in found}
    for target in found.values():  # warm up every worker
        driver(target, 2, connections)
    for _ in range(rounds):  # interleave so drift hits every target alike
        for name, target in found.items():
            results[name].append(driver(target, seconds, connections))
    return {name: statistics.median(values) for name, values in results.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **production_env(f"sqlite:///{Path(tmp) / 'bench.db'}"),
            "STOREFRONT_SESSION_COOKIE_SECURE": "false",
            "STOREFRONT_HTMX_USE_LOCAL": "true",
            "STOREFRONT_EMAIL_ALLOW_TEST_DOMAINS": "true",  # the demo team logins are on .test
        }
        build_database(Path(tmp), env)
        found, skipped = targets(env)
        server = start_gunicorn("wsgi:app", PORT, env, args.workers)
        try:
            sizes = {name: checked(name, target) for name, target in found.items()}
            rps = measure(found, args.seconds, args.rounds, args.connections)
        finally:
            server.terminate()
            server.wait()
    driver = "wrk" if shutil.which("wrk") else "python client"
    print(
        f"driver: {driver}, {args.workers} gunicorn worker(s), {args.connections} connections, "
        f"median of {args.rounds} x {args.seconds}s; {TICKETS:,} tickets over {SHOPS} shops"
    )
    for name, value in rps.items():
        status, body, headers = sizes[name]
        print(f"  {name:<24} {value:8.0f} req/s   {status}, body {body:,} bytes, headers {headers:,} bytes")
    if skipped:
        print(f"  {skipped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
