"""A health check for load balancers, on every host we serve."""

from __future__ import annotations

from flask import Flask, jsonify
from sqlalchemy import text

from .extensions import db


def healthz():
    """Answer 200 when the database answers; when it does not, outages.py answers 503 with Retry-After."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")


def init_app(app: Flask) -> None:
    """Register /healthz."""
    app.add_url_rule("/healthz", "healthz", healthz)
