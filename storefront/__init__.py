"""Storefront: white-label hosting shops for resellers on one shared back end."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import jobs
from .application import Storefront
from .config import DefaultConfig
from .configuration import load_configuration
from .extensions import db, login_manager, migrate
from .models.base import render_migration_item
from .whole_numbers import AsciiIntegerConverter


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, tenancy, blueprints."""
    app = Storefront(__name__, instance_relative_config=True, static_url_path="/assets")
    app.url_map.converters["int"] = AsciiIntegerConverter
    app.config.from_object(DefaultConfig)
    load_configuration(app, test_config)

    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=app.config["MIGRATIONS_DIR"],
        render_as_batch=True,
        render_item=render_migration_item,
        compare_type=True,
    )
    login_manager.init_app(app)
    jobs.init_app(app)

    from . import (
        csrf,
        errors,
        formatting,
        fulfilment,
        health,
        htmx,
        outages,
        pagecache,
        ratelimits,
        security_headers,
        sessions,
        tenancy,
    )
    from .branding import theming
    from .cli import register_commands
    from .console import bp as console_bp
    from .identity import accounts
    from .shop import bp as shop_bp
    from .staff import bp as staff_bp
    from .worker import add_steps

    sessions.init_app(app)
    csrf.init_app(app)
    tenancy.init_app(app)
    theming.init_app(app)
    formatting.init_app(app)
    pagecache.init_app(app)
    htmx.init_app(app)
    security_headers.init_app(app)
    accounts.init_app(app)
    ratelimits.init_app(app)
    errors.init_app(app)
    outages.init_app(app)
    health.init_app(app)
    fulfilment.init_app(app)
    add_steps(app)
    app.register_blueprint(shop_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(console_bp)
    register_commands(app)
    return app
