"""Where configuration comes from: defaults, instance/config.py, then the environment."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from flask import Flask

ENV_PREFIX = "STOREFRONT_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def load_configuration(app: Flask, test_config: dict | None) -> None:
    """Fill ``app.config`` from the instance file, the environment and ``test_config``."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_pyfile("config.py", silent=True)
    _load_environment(app)
    if test_config:
        app.config.update(test_config)
    app.config.setdefault("MIGRATIONS_DIR", str(PROJECT_ROOT / "migrations"))
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        db_file = Path(app.instance_path) / "storefront.db"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_file}"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A local file cannot drop the connection; pinging it costs a query per request.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "pool_pre_ping": False,
        }
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    app.config["STAFF_HOST"] = app.config["STAFF_HOST"].lower()
    app.config["STOREFRONT_BASE_DOMAIN"] = app.config["STOREFRONT_BASE_DOMAIN"].lower()


def _load_environment(app: Flask) -> None:
    """Read ``STOREFRONT_*`` variables (JSON values where they parse) and ``DATABASE_URL``."""
    for name, raw in os.environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name if name in app.config else name.removeprefix(ENV_PREFIX)
        try:
            app.config[key] = json.loads(raw)
        except ValueError:
            app.config[key] = raw
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]


def _instance_secret(instance: Path) -> str:
    """Return a secret key kept in the instance folder, making one on first use."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
