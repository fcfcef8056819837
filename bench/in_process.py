"""Shared steps of the in-process benchmarks: the app on a fresh SQLite file, and signed-in test clients."""

from __future__ import annotations

import os
import re
import statistics
import time
from pathlib import Path

PASSWORD = "storefront-demo"


def make_app(directory: Path):
    """The app on ``directory/bench.db``, on the demo's hosts, with cheap password hashing.

    Production MODE for one process: rate limits in memory hold, mail host names are neutral.
    """
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.db'}"
    from storefront import create_app

    return create_app(
        {
            "MODE": "production",
            "SINGLE_PROCESS": True,
            "MAIL_SMTP_HELO_NAME": "mail.bench.test",
            "INBOUND_SMTP_HOSTNAME": "mx.bench.test",
            "STOREFRONT_BASE_DOMAIN": "localhost",
            "EMAIL_ALLOW_TEST_DOMAINS": True,
            "SESSION_COOKIE_SECURE": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )


def signed_in(app, base: str, login: str, email: str, password: str = PASSWORD):
    """A test client signed in through the form at ``login`` on ``base``."""
    client = app.test_client()
    page = client.get(login, base_url=base).text
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)
    data = {"email": email, "password": password, "csrf_token": token}
    assert client.post(login, data=data, base_url=base).status_code in (302, 303), f"{email} not signed in"
    return client


def measure(app, client, base: str, path: str, requests: int) -> tuple[float, float, int, int]:
    """Median and 95th percentile ms of ``requests`` GETs of ``path`` on ``base``; its queries, status."""
    from sqlalchemy import event

    from storefront.extensions import db

    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    status = client.get(path, base_url=base).status_code
    queries = len(statements)
    event.remove(engine, "before_cursor_execute", listener)
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        client.get(path, base_url=base)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], queries, status
