"""Flask extensions, created unbound and bound in create_app()."""

from __future__ import annotations

from flask import g, has_app_context, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the constraint naming convention migrations rely on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RequestSession(Session):
    """A session scoped to the shop the request is for (``g.shop``) from the moment it is made.

    A request served without the database (a cached page) then makes no session at all.
    """

    def __init__(self, db: SQLAlchemy, **options) -> None:
        super().__init__(db, **options)
        shop = g.get("shop") if has_app_context() else None
        if shop is not None:
            from .models import bind_tenant

            bind_tenant(self, shop.id)


class SessionLoginManager(LoginManager):
    """Flask-Login's manager, not checking an empty session against the visitor's address and browser.

    Flask-Login's session protection passes an empty session (nobody signed in) whatever it finds,
    but only after hashing the address and browser; every page a visitor who is not signed in
    sees asks it once.
    """

    def _session_protection_failed(self) -> bool:
        if not session:
            return False
        return super()._session_protection_failed()


db = SQLAlchemy(model_class=Base, session_options={"class_": RequestSession})
migrate = Migrate()
login_manager = SessionLoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


# How long a SQLite connection waits for another process's write (the web server's, the worker's)
# before giving up with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 15_000


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys unless asked, and shares a file between processes best in WAL mode.

    WAL lets readers go on while one process writes; the busy timeout makes a second writer wait
    for the first instead of failing, so the web server and the worker share one file.
    """
    if type(dbapi_connection).__module__ == "sqlite3":
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
