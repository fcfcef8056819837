"""Rate limits hold across processes: gunicorn with two workers, limits kept in Redis."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis

from storefront import create_app
from storefront.extensions import db
from tests.conftest import HostClient, _test_config
from tests.shop.helpers import csrf_from, sign_in

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
REDIS_URL = "redis://127.0.0.1:6379"
SHOP = "acme.localhost"
SIGN_IN_LIMIT = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn serving the app on a loopback port, logging which worker answered each request."""

    def __init__(self, port: int, access_log: Path) -> None:
        self.port = port
        self.access_log = access_log

    def request(self, method: str, path: str, body: str = "", cookie: str = "") -> http.client.HTTPResponse:
        """One request on a connection of its own; its ``worker`` is read from the access log."""
        logged = len(self._log_lines())
        headers = {"Host": SHOP, "Connection": "close"}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookie:
            headers["Cookie"] = cookie
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.text = response.read().decode()
        connection.close()
        response.worker = self._worker_of_line(logged)
        return response

    @contextmanager
    def one_worker_free(self) -> Iterator[str]:
        """Keep the other worker busy and yield the process id of the one left free.

        A connection that sends nothing holds the sync worker that accepts it, so the next
        connections go to the other worker; a probe tells which one that is.
        """
        with socket.create_connection(("127.0.0.1", self.port)) as held:
            time.sleep(0.05)  # let a worker accept the held connection
            yield self.request("GET", "/healthz").worker
            held.shutdown(socket.SHUT_RDWR)

    def _log_lines(self) -> list[str]:
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []

    def _worker_of_line(self, index: int) -> str:
        """The process id in access-log line ``index``, waiting briefly for it to be written."""
        deadline = time.monotonic() + 5
        while len(lines := self._log_lines()) <= index:
            if time.monotonic() > deadline:
                raise AssertionError("gunicorn did not log the request")
            time.sleep(0.01)
        return lines[index].split()[0]


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this run's own on the shared Redis; its keys are deleted afterwards."""
    prefix = f"storefront-test-{secrets.token_hex(6)}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


def _production_env(database_url: str, **settings: str) -> dict[str, str]:
    """Production settings for two workers on the test database, with ``settings`` on top."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "STOREFRONT_MODE": "production",
        "STOREFRONT_SECRET_KEY": secrets.token_urlsafe(48),
        "STOREFRONT_MAIL_SMTP_HELO_NAME": "mail.acme-hosting.test",
        "STOREFRONT_INBOUND_SMTP_HOSTNAME": "mx.acme-hosting.test",
        "STOREFRONT_RATELIMIT_SIGN_IN_PER_EMAIL": f"{SIGN_IN_LIMIT} per 15 minutes",
        "STOREFRONT_SESSION_COOKIE_SECURE": "false",
        **settings,
    }


def _command(port: int, access_log: Path) -> list[str]:
    return [
        str(GUNICORN),
        "--workers=2",
        f"--bind=127.0.0.1:{port}",
        f"--access-logfile={access_log}",
        "--access-logformat=%(p)s %(m)s %(U)s %(s)s",
        "wsgi:app",
    ]


@pytest.fixture
def start_gunicorn(app, demo, database_url: str, tmp_path: Path) -> Iterator[Callable[..., Gunicorn]]:
    """Return ``start(**settings)``: two gunicorn workers on the test database, stopped after the test."""
    processes: list[subprocess.Popen] = []

    def start(**settings: str) -> Gunicorn:
        server = Gunicorn(_free_port(), tmp_path / f"access-{len(processes)}.log")
        command = _command(server.port, server.access_log)
        env = _production_env(database_url, **settings)
        process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        processes.append(process)
        _wait_until_serving(server, process)
        return server

    yield start
    for process in processes:
        process.terminate()
        process.communicate(timeout=30)


def _wait_until_serving(server: Gunicorn, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped: {process.communicate()[1]}")
        try:
            if server.request("GET", "/healthz").status == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("gunicorn did not start within 60 seconds")


def _both_workers(server: Gunicorn) -> list[str]:
    """The process ids of the two workers."""
    seen: set[str] = set()
    for _ in range(100):
        with server.one_worker_free() as free:
            seen.add(free)
        if len(seen) == 2:
            return sorted(seen)
    raise AssertionError(f"only {seen} ever answered")


def _wrong_password(server: Gunicorn, worker: str) -> int:
    """A fresh visitor signs in with a wrong password, served by ``worker``; return the status."""
    for _ in range(100):
        with server.one_worker_free() as free:
            if free != worker:
                continue
            page = server.request("GET", "/login")
            cookie = "; ".join(
                f"{k}={m.value}" for k, m in SimpleCookie(page.getheader("Set-Cookie")).items()
            )
            form = {"email": "aisyah@example.com", "password": "not hers", "csrf_token": csrf_from(page.text)}
            answer = server.request("POST", "/login", urlencode(form), cookie)
            assert page.worker == answer.worker == worker
            return answer.status
    raise AssertionError(f"worker {worker} never came free")


def _attempts(server: Gunicorn, count: int) -> list[int]:
    """Wrong passwords for one account, each on the other worker than the one before."""
    workers = _both_workers(server)
    return [_wrong_password(server, workers[n % 2]) for n in range(count)]


def test_the_sign_in_limit_stops_at_exactly_its_number_across_two_workers(
    start_gunicorn, redis_prefix
) -> None:
    server = start_gunicorn(
        STOREFRONT_RATELIMIT_STORAGE_URI=REDIS_URL, STOREFRONT_RATELIMIT_KEY_PREFIX=redis_prefix
    )
    # Each worker sees at most three of the failures: only a shared count reaches five.
    assert _attempts(server, SIGN_IN_LIMIT + 2) == [400] * SIGN_IN_LIMIT + [429] * 2


def test_per_process_storage_would_let_twice_as_many_through(start_gunicorn) -> None:
    """Why production refuses memory:// with several processes: each worker counts alone."""
    server = start_gunicorn(STOREFRONT_MODE="development", STOREFRONT_RATELIMIT_STORAGE_URI="memory://")
    assert _attempts(server, SIGN_IN_LIMIT + 2) == [400] * (SIGN_IN_LIMIT + 2)


def test_production_workers_refuse_per_process_storage(database_url: str, tmp_path: Path) -> None:
    env = _production_env(database_url, STOREFRONT_RATELIMIT_STORAGE_URI="memory://")
    result = subprocess.run(
        _command(_free_port(), tmp_path / "access.log"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "RATELIMIT_STORAGE_URI is memory://" in result.stderr and "SINGLE_PROCESS = True" in result.stderr


def test_while_redis_is_down_sign_in_goes_on_with_per_process_counts(
    app, demo, database_url: str, tmp_path: Path, caplog
) -> None:
    closed = _free_port()
    settings = {
        **_test_config(database_url, tmp_path),
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{closed}",
    }
    redis_down = create_app({**settings, "RATELIMIT_SIGN_IN_PER_EMAIL": "2 per minute"})
    redis_down.test_client_class = HostClient
    client = redis_down.test_client()
    client.host = SHOP

    try:
        statuses = [sign_in(client, "aisyah@example.com", "not hers").status_code for _ in range(3)]
    finally:
        with redis_down.app_context():
            db.engine.dispose()

    assert statuses == [400, 400, 429]
    assert "falling back to in-memory storage" in caplog.text
