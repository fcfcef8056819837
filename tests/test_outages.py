"""A database outage: 503 with Retry-After on every host, one log line each, the audience's own page."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, text

from storefront import create_app
from storefront.extensions import db
from storefront.models import Customer
from storefront.outages import RETRY_AFTER_SECONDS
from tests.conftest import HostClient
from tests.shop.helpers import csrf_from, sign_in
from tests.steps import owner_client

SHOP, STAFF = "acme.localhost", "staff.localhost"


def _closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(params=["postgresql", "sqlite"])
def down_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app whose database refuses every connection: a closed PostgreSQL port, or an unopenable file."""
    if request.param == "postgresql":
        url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/storefront?connect_timeout=3"
    else:
        url = f"sqlite:///{tmp_path / 'missing' / 'storefront.db'}"
    app = create_app(
        {
            "TESTING": True,
            "MODE": "testing",
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "HTMX_USE_LOCAL": True,
            "SESSION_COOKIE_SECURE": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    app.test_client_class = HostClient
    yield app
    with app.app_context():
        db.engine.dispose()


def _client(app: Flask, host: str) -> HostClient:
    client = app.test_client()
    client.host = host
    return client


@pytest.mark.parametrize(
    ("host", "method", "path"),
    [
        (SHOP, "GET", "/healthz"),
        (STAFF, "GET", "/healthz"),
        (SHOP, "GET", "/"),
        (SHOP, "GET", "/plans"),
        (SHOP, "POST", "/login"),
        (SHOP, "GET", "/console/"),
        (STAFF, "POST", "/staff/login"),
    ],
)
def test_every_host_answers_503_with_retry_after_and_logs_one_line(
    down_app: Flask, caplog: pytest.LogCaptureFixture, host: str, method: str, path: str
) -> None:
    caplog.set_level(logging.INFO)
    form = {"email": "aisyah@example.com", "password": "storefront-demo"} if method == "POST" else None

    response = _client(down_app, host).open(path, method=method, data=form)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)  # not the rate window of /login
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) == 1, [r.getMessage() for r in problems]
    [line] = problems
    assert line.exc_info is None and "Traceback" not in caplog.text
    assert line.getMessage().startswith(f"database unavailable: {method} {path}: ")
    assert "SELECT" not in caplog.text  # neither the SQL nor its parameters reach the log


def test_health_checks_answer_json_on_shop_and_staff_hosts(down_app: Flask) -> None:
    for host in (SHOP, STAFF):
        response = _client(down_app, host).get("/healthz")
        assert (response.status_code, response.json) == (503, {"status": "unavailable"})


def test_an_unknown_host_still_gets_its_plain_answer(down_app: Flask) -> None:
    response = _client(down_app, "elsewhere.example").get("/")
    assert response.status_code == 503
    assert response.mimetype == "text/plain" and "WebServer" not in response.text


def test_a_staff_outage_page_is_the_staff_desks_own(down_app: Flask) -> None:
    response = _client(down_app, STAFF).post("/staff/login", data={"email": "s@x.test", "password": "p"})
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "Temporarily unavailable" in response.text


# A connection cut in the middle of a request: killed on the server (PostgreSQL) or closed under
# the pool (SQLite), at a chosen point of a sign-in.


@pytest.fixture
def cut_connection(app: Flask, database_url: str) -> Iterator[Callable[[str], None]]:
    """Return ``cut(when, table)``: the next query of ``table`` loses its connection ``before`` it runs,
    or (``after``) the next customer lookup loses it once its row has arrived."""
    with app.app_context():
        engine = db.engine
    admin = (
        create_engine(database_url, isolation_level="AUTOCOMMIT") if "postgresql" in database_url else None
    )
    armed: dict[str, str | None] = {"when": None, "table": None}

    def kill(dbapi_connection) -> None:
        armed["when"] = None
        if admin is None:
            dbapi_connection.close()
            return
        with admin.connect() as other:
            other.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": dbapi_connection.info.backend_pid}
            )

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        if armed["when"] == "before" and f"FROM {armed['table']}" in statement:
            kill(conn.connection.dbapi_connection)

    def loaded(customer, context) -> None:  # the row has arrived; the request goes on without the database
        if armed["when"] == "after":
            kill(context.session.connection().connection.dbapi_connection)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(Customer, "load", loaded)

    def cut(when: str, table: str = "customer") -> None:
        armed.update(when=when, table=table)

    yield cut
    event.remove(engine, "before_cursor_execute", before)
    event.remove(Customer, "load", loaded)
    if admin is not None:
        admin.dispose()


def test_a_connection_cut_before_the_lookup_gets_the_shops_own_503_page(
    app, demo, client_for, cut_connection, caplog
) -> None:
    client = client_for(SHOP)
    cut_connection("before")

    response = sign_in(client, "aisyah@example.com")

    assert response.status_code == 503 and response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "Acme Hosting" in response.text and "Temporarily unavailable" in response.text
    assert "Traceback" not in caplog.text
    assert sign_in(client, "aisyah@example.com").status_code == 302  # the next request is served


@pytest.mark.parametrize(("password", "status"), [("wrong password", 400), ("storefront-demo", 302)])
def test_a_connection_cut_after_the_last_query_still_answers_the_request(
    app, demo, client_for, cut_connection, caplog, password, status
) -> None:
    client = client_for(SHOP)
    token = csrf_from(client.get("/login").text)
    cut_connection("after")

    response = client.post(
        "/login", data={"email": "aisyah@example.com", "password": password, "csrf_token": token}
    )

    assert response.status_code == status
    if status == 400:
        assert "Acme Hosting" in response.text and "do not match" in response.text
    else:
        assert "Hello, Nur Aisyah" in client.get("/account").text
    assert "Traceback" not in caplog.text


def test_an_outage_does_not_use_up_sign_in_attempts(app, demo, client_for, cut_connection) -> None:
    app.config["RATELIMIT_SIGN_IN_PER_EMAIL"] = "2 per minute"
    client = client_for(SHOP)
    for _ in range(3):
        cut_connection("before")
        assert sign_in(client, "aisyah@example.com", "wrong password").status_code == 503
    assert sign_in(client, "aisyah@example.com", "wrong password").status_code == 400
    assert sign_in(client, "aisyah@example.com", "wrong password").status_code == 400
    assert sign_in(client, "aisyah@example.com").status_code == 429


def test_a_console_request_cut_midway_gets_the_consoles_own_503_page(
    app, demo, client_for, cut_connection
) -> None:
    owner = owner_client(client_for)
    cut_connection("before", "ticket")

    response = owner.get("/console/tickets")

    assert response.status_code == 503 and response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "console.css" in response.text and "Acme Hosting" in response.text  # the console's frame
    assert "Temporarily unavailable" in response.text
    assert owner.get("/console/tickets").status_code == 200  # still signed in once it is back
