"""Fixtures: a fresh database per test, host-pinned clients, factories, a query counter.

Each test process (one per core under pytest-xdist) migrates a database of its own once: on SQLite
a file in memory-backed storage that every test gets a copy of, on PostgreSQL a database named
after the test database and the process (``sf_x_gw0``) that is emptied after every test.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, make_url, text

from storefront import create_app
from storefront.extensions import db
from storefront.identity.second_factor import STEP_SECONDS
from tests import second_factor_steps, shared_compiling

pytest_plugins = ["tests.factories"]

# Apps the tests build themselves, and commands they start, run in testing MODE too.
os.environ["STOREFRONT_MODE"] = "testing"

# Every test builds an app; they share compiled URL builders and templates instead of compiling anew.
shared_compiling.install()


def _process_name() -> str:
    """This test process's name: "gw0", "gw1", … under pytest-xdist, "main" otherwise."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _scratch_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the SQLite files: in memory where the machine offers /dev/shm (a commit then waits
    for no disk), else under pytest's temporary folder."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix=f"storefront-tests-{_process_name()}-", dir=shm))
    return tmp_path_factory.mktemp("db")


def _migrate(url: str, instance: Path) -> None:
    """Build the schema from nothing through the migrations."""
    app = create_app(_test_config(url, instance))
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        upgrade()
        db.engine.dispose()


@contextmanager
def _postgres_database(test_database_url: str) -> Iterator[str]:
    """A database of this process's own beside the test database, made now and dropped afterwards."""
    base = make_url(test_database_url)
    own = base.set(database=f"{base.database}_{_process_name()}")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f'"{own.database}"'
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
        # Commits need not wait for the disk: what other connections see is unchanged.
        connection.execute(text(f"ALTER DATABASE {name} SET synchronous_commit = off"))
    try:
        yield own.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This process's migrated, empty database: a SQLite file each test copies, or a PostgreSQL
    database each test empties after it."""
    instance = tmp_path_factory.mktemp("instance")
    test_database_url = os.environ.get("TEST_DATABASE_URL")
    if test_database_url:
        with _postgres_database(test_database_url) as url:
            _migrate(url, instance)
            yield url
        return
    folder = _scratch_folder(tmp_path_factory)
    url = f"sqlite:///{folder / 'template.db'}"
    _migrate(url, instance)
    yield url
    shutil.rmtree(folder, ignore_errors=True)


_copies = count()


@pytest.fixture
def database_url(template_database: str) -> Iterator[str]:
    """This test's empty, migrated database: a fresh copy of the SQLite template, or the process's
    PostgreSQL database (which the ``app`` fixture empties after the test)."""
    template = make_url(template_database)
    if template.get_backend_name() != "sqlite":
        yield template_database
        return
    original = Path(template.database)
    copy = original.with_name(f"test-{next(_copies)}.db")
    shutil.copyfile(original, copy)
    yield f"sqlite:///{copy}"
    for leftover in (
        copy,
        copy.with_name(copy.name + "-journal"),
        copy.with_name(copy.name + "-wal"),
        copy.with_name(copy.name + "-shm"),
    ):
        leftover.unlink(missing_ok=True)


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
        # Wake-ups go to a queue no worker reads; tests that run a worker give it a real one.
        "JOBS_URL": "memory://",
    }


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An application on this test's own empty database (on PostgreSQL, emptied after the test)."""
    app = create_app(_test_config(database_url, tmp_path))
    shared_compiling.share_templates(app)
    yield app
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name != "sqlite":
            _empty_every_table()
        db.engine.dispose()


def _empty_every_table() -> None:
    """Delete every row of every table, children first, in one transaction and one round trip
    (a fraction of a statement per table's cost; TRUNCATE or a copy of a template database take seconds)."""
    quote = db.engine.dialect.identifier_preparer.format_table
    statements = "; ".join(f"DELETE FROM {quote(table)}" for table in reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        connection.exec_driver_sql(statements)


@pytest.fixture(autouse=True)
def totp_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests that enter TOTP codes (through tests/second_factor_steps.py) run from the start of a
    time step, the clock ticking: the codes they work out stay current for the step's 30 seconds,
    however slowly a busy machine runs them, instead of going stale at a step boundary."""
    if not _enters_totp_codes(request.module):
        yield
        return
    now = time.time()
    with time_machine.travel(now - now % STEP_SECONDS, tick=True):
        yield


_TOTP_STEPS = {
    id(step)
    for step in vars(second_factor_steps).values()
    if callable(step) and getattr(step, "__module__", None) == second_factor_steps.__name__
}


def _enters_totp_codes(module: object) -> bool:
    """Whether a test module uses the second-factor steps."""
    return any(id(value) in _TOTP_STEPS for value in vars(module).values())


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
def living_demo(app: Flask) -> None:
    """The demo as `make run` loads it: privacy history and each shop's year of business (slower:
    only the tests of that year use it)."""
    from storefront.demo import seed_demo

    with app.app_context():
        seed_demo(history=True)


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


def pytest_collection_finish(session: pytest.Session) -> None:
    """Spare the test process most of its garbage collection: every test builds an app of many
    thousand objects, and collecting often went through them all, and through every module and
    test collected, again and again. What is there now lives for the whole run, so it is frozen out
    of collections, and collections run less often."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run PostgreSQL-only tests only when the suite runs on PostgreSQL."""
    on_postgres = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL row locks: set TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)
