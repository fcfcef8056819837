"""Two ceilings for the catalogue benchmark: a bare hello, and one query rendered in a template."""

from __future__ import annotations

import os

from flask import Flask, render_template
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["DATABASE_URL"])

ONE_QUERY = text(
    "SELECT plan.code, plan.name, plan.summary, plan.features, offer_price.amount_minor "
    "FROM offer JOIN plan ON plan.id = offer.plan_id "
    "JOIN offer_price ON offer_price.offer_id = offer.id AND offer_price.cycle = 'monthly' "
    "WHERE offer.reseller_id = 1 ORDER BY offer.position"
)


@app.get("/hello")
def hello() -> str:
    """The bare Flask ceiling."""
    return "hello"


@app.get("/one-query")
def one_query() -> str:
    """One query and a page comparable to the catalogue."""
    with engine.connect() as connection:
        rows = connection.execute(ONE_QUERY).all()
    return render_template("one_query.html", rows=rows)
