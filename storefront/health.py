"""A health check for load balancers, on every host we serve."""

from __future__ import annotations

from flask import Flask, jsonify
from sqlalchemy import text

from .extensions import db


def healthz():
    """Answer 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


def init_app(app: Flask) -> None:
    """Register /healthz."""
    app.add_url_rule("/healthz", "healthz", healthz)
