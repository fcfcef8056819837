"""Where configuration comes from: defaults, instance/config.py, then the environment."""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

ENV_PREFIX = "STOREFRONT_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODES = ("production", "development", "testing")
SECRET_MIN_LENGTH = 32


class ConfigurationError(RuntimeError):
    """Settings the app refuses to start with; the message says what to set."""


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
    check_configuration(app)


def check_configuration(app: Flask) -> None:
    """Refuse unsafe settings in production, warn about them in development, say nothing in testing."""
    mode = app.config["MODE"]
    if mode not in MODES:
        raise ConfigurationError(f"MODE is {mode!r}: set STOREFRONT_MODE to one of {', '.join(MODES)}.")
    problems = configuration_problems(app.config)
    if not problems or mode == "testing":
        return
    if mode == "development":
        for problem in problems:
            app.logger.warning("Not fit for production: %s", problem)
        return
    listed = "".join(f"\n  - {problem}" for problem in problems)
    raise ConfigurationError(
        f"Storefront will not start in production with these settings:{listed}\n"
        "Set them in instance/config.py or as STOREFRONT_<KEY> environment variables "
        "(STOREFRONT_MODE=development runs a local demo with warnings instead)."
    )


def configuration_problems(config: Mapping) -> list[str]:
    """Return what production would refuse in ``config``, each with what to set."""
    problems = []
    if len(str(config["SECRET_KEY"])) < SECRET_MIN_LENGTH:
        problems.append(
            f"SECRET_KEY has fewer than {SECRET_MIN_LENGTH} characters: set a long random one "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    for key, what in (
        ("MAIL_SMTP_HELO_NAME", "outgoing mail greets the relay with"),
        ("INBOUND_SMTP_HOSTNAME", "`storefront mail serve` greets senders with"),
    ):
        name = config[key]
        if not name:
            problems.append(
                f"{key} is unset, so the name {what} (and every Received: header) would be this "
                "machine's: set a neutral host name that does not name the platform."
            )
        elif _names_the_platform(str(name), config):
            problems.append(f"{key} {name!r} names the platform: set a neutral host name.")
    if str(config["RATELIMIT_STORAGE_URI"]).startswith("memory://") and not config["SINGLE_PROCESS"]:
        problems.append(
            "RATELIMIT_STORAGE_URI is memory://, which each process counts on its own: set "
            "redis://HOST:6379 when more than one process serves, or SINGLE_PROCESS = True when one does."
        )
    sandbox_secret = str(config["SANDBOX_GATEWAY_SECRET"] or "")
    if config["SANDBOX_GATEWAY_ENABLED"] and len(sandbox_secret) < SECRET_MIN_LENGTH:
        problems.append(
            "SANDBOX_GATEWAY_ENABLED is on without its own SANDBOX_GATEWAY_SECRET of "
            f"{SECRET_MIN_LENGTH}+ characters (it would be derived from SECRET_KEY): set one, "
            "or turn the sandbox gateway off."
        )
    return problems


def _names_the_platform(host_name: str, config: Mapping) -> bool:
    """Whether a host name is under one of the platform's domains or spells its name."""
    name = host_name.strip().lower().rstrip(".")
    domains = [domain.lower() for domain in config["PLATFORM_DOMAINS"]]
    if any(name == domain or name.endswith(f".{domain}") for domain in domains):
        return True
    platform = re.sub(r"[^a-z0-9]", "", config["PLATFORM_NAME"].lower())
    return bool(platform) and platform in re.sub(r"[^a-z0-9]", "", name)


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
