"""Fixtures: a fresh database per test, host-pinned clients, factories, a query counter."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, text

from storefront import create_app
from storefront.extensions import db

pytest_plugins = ["tests.factories"]

# Apps the tests build themselves, and commands they start, run in testing MODE too.
os.environ["STOREFRONT_MODE"] = "testing"


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'storefront.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database, built once per run through the migrations."""
    url = _database_url(tmp_path_factory)
    app = create_app(_test_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        upgrade()
        db.engine.dispose()
    return url


def _test_config(url: str, instance: Path) -> dict:
    return {
        "TESTING": True,
        "MODE": "testing",
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "HTMX_USE_LOCAL": True,
        "EMAIL_ALLOW_TEST_DOMAINS": True,
        "SHOP_URL_SCHEME": "http",
        "SESSION_COOKIE_SECURE": False,
        "SANDBOX_GATEWAY_ENABLED": True,
        # The receiving mail server the tests' fixture emails are stamped by (see tests/fixtures/mail).
        "MAIL_TRUSTED_AUTHSERV_ID": "mx.inbound.test",
        # Cheap hashes keep the suite fast; production uses scrypt.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An application on the shared test database, emptied after each test."""
    app = create_app(_test_config(database_url, tmp_path))
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()


class HostClient(FlaskClient):
    """A test client whose requests all go to one host."""

    host = "localhost"

    def open(self, *args, **kwargs):
        overrides = kwargs.setdefault("environ_overrides", {})
        overrides.setdefault("HTTP_HOST", self.host)
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def client_for(app: Flask) -> Callable[[str], HostClient]:
    """Return a factory of clients pinned to a host, for example ``client_for("acme.localhost")``."""

    def make(host: str) -> HostClient:
        app.test_client_class = HostClient
        client = app.test_client()
        client.host = host
        return client

    return make


@pytest.fixture
def demo(app: Flask) -> None:
    """Load the demo data (storefront/demo/data.json); the customers start with no privacy history
    (no disclosures, consents or correction requests), so tests of those features count from zero."""
    from storefront.demo import seed_demo

    with app.app_context():
        seed_demo(privacy_history=False)


@pytest.fixture
def full_demo(app: Flask) -> None:
    """The demo exactly as `storefront seed-demo` loads it, privacy history included."""
    from storefront.demo import seed_demo

    with app.app_context():
        seed_demo()


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Iterator[list[str]]]:
    """Return a context manager that records the SQL statements run inside it."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany) -> None:
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run PostgreSQL-only tests only when the suite runs on PostgreSQL."""
    on_postgres = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL row locks: set TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)
