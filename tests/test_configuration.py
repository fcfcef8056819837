"""MODE decides the production-only refusals: short secrets, unset mail host names, memory:// limits."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storefront import create_app
from storefront.commerce.sandbox_gateway import signature_header
from storefront.configuration import ConfigurationError

STOREFRONT = Path(sys.executable).parent / "storefront"
LONG_SECRET = "k" * 32


def production(tmp_path: Path, **overrides) -> dict:
    """Settings production accepts; each test spoils one of them."""
    return {
        "MODE": "production",
        "SECRET_KEY": LONG_SECRET,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'storefront.db'}",
        "MAIL_SMTP_HELO_NAME": "mail.acme-hosting.test",
        "INBOUND_SMTP_HOSTNAME": "mx.acme-hosting.test",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        **overrides,
    }


def refusal(settings: dict) -> str:
    with pytest.raises(ConfigurationError) as refused:
        create_app(settings)
    return str(refused.value)


def test_production_starts_with_complete_settings(tmp_path) -> None:
    app = create_app(production(tmp_path))
    assert app.config["MODE"] == "production"


def test_production_refuses_a_short_secret_key(tmp_path) -> None:
    message = refusal(production(tmp_path, SECRET_KEY="x"))
    assert "SECRET_KEY has fewer than 32 characters: set a long random one" in message
    assert "STOREFRONT_<KEY>" in message


@pytest.mark.parametrize("key", ["MAIL_SMTP_HELO_NAME", "INBOUND_SMTP_HOSTNAME"])
def test_production_refuses_unset_mail_host_names(tmp_path, key) -> None:
    message = refusal(production(tmp_path, **{key: None}))
    assert f"{key} is unset" in message and "set a neutral host name" in message


@pytest.mark.parametrize("name", ["mail.webserver.com.my", "WEB-SERVER-relay.example"])
def test_production_refuses_mail_host_names_that_name_the_platform(tmp_path, name) -> None:
    assert "names the platform" in refusal(production(tmp_path, MAIL_SMTP_HELO_NAME=name))


def test_production_refuses_per_process_rate_limits_unless_one_process_serves(tmp_path) -> None:
    message = refusal(production(tmp_path, RATELIMIT_STORAGE_URI="memory://"))
    assert "RATELIMIT_STORAGE_URI is memory://" in message and "SINGLE_PROCESS = True" in message
    assert create_app(production(tmp_path, RATELIMIT_STORAGE_URI="memory://", SINGLE_PROCESS=True))


def test_production_refuses_a_sandbox_gateway_key_derived_from_the_secret(tmp_path) -> None:
    message = refusal(production(tmp_path, SANDBOX_GATEWAY_ENABLED=True))
    assert "SANDBOX_GATEWAY_SECRET" in message
    app = create_app(production(tmp_path, SANDBOX_GATEWAY_ENABLED=True, SANDBOX_GATEWAY_SECRET="s" * 32))
    with app.app_context():
        signed = signature_header(b"{}", 1)
    with create_app(
        production(tmp_path, SANDBOX_GATEWAY_ENABLED=True, SANDBOX_GATEWAY_SECRET="t" * 32)
    ).app_context():
        assert signature_header(b"{}", 1) != signed  # the gateway signs with its own secret


def test_production_lists_every_problem_at_once() -> None:
    message = refusal({"MODE": "production", "SECRET_KEY": "x"})
    for key in ("SECRET_KEY", "MAIL_SMTP_HELO_NAME", "INBOUND_SMTP_HOSTNAME", "RATELIMIT_STORAGE_URI"):
        assert key in message


def test_development_warns_about_each_problem_and_starts(caplog) -> None:
    caplog.set_level(logging.WARNING)
    app = create_app({"MODE": "development", "SECRET_KEY": "x"})
    assert app.config["MODE"] == "development"
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 4 and all(w.startswith("Not fit for production: ") for w in warned)


def test_testing_is_quiet(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    create_app({"MODE": "testing", "SECRET_KEY": "x"})
    assert caplog.records == []


def test_an_unknown_mode_is_refused() -> None:
    assert "set STOREFRONT_MODE to one of production, development, testing" in refusal({"MODE": "prod"})


def _command(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "STOREFRONT_SECRET_KEY": LONG_SECRET,
        **env,
    }
    return subprocess.run(
        [str(STOREFRONT), *args], env=environment, capture_output=True, text=True, timeout=120
    )


def test_commands_say_what_to_set_in_production_without_a_trace(tmp_path) -> None:
    result = _command(tmp_path, "init-db", STOREFRONT_MODE="production")
    assert result.returncode == 1
    assert "MAIL_SMTP_HELO_NAME is unset" in result.stderr and "Traceback" not in result.stderr
    helped = _command(tmp_path, "--help", STOREFRONT_MODE="production")
    assert helped.returncode == 0 and "run  " in helped.stdout
    assert "MAIL_SMTP_HELO_NAME is unset" in helped.stderr and "Traceback" not in helped.stderr


def test_production_commands_run_with_redis_rate_limits(tmp_path) -> None:
    result = _command(
        tmp_path,
        "init-db",
        STOREFRONT_MODE="production",
        STOREFRONT_MAIL_SMTP_HELO_NAME="mail.acme-hosting.test",
        STOREFRONT_INBOUND_SMTP_HOSTNAME="mx.acme-hosting.test",
        STOREFRONT_RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/7",
    )
    assert result.returncode == 0, result.stderr
    assert "Database is at the newest schema." in result.stdout
