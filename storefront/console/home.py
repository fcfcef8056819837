"""The console's home: an owner's figures for the month, or for an agent the answers the team owes."""

from __future__ import annotations

from datetime import date

from flask import g, render_template
from flask_login import current_user
from markupsafe import Markup

from ..models import TeamRole, utcnow
from ..money import format_money
from ..reporting.charts import Bar, bar_chart, compact_money
from ..reporting.dashboard import Dashboard, owner_dashboard, ticket_figures
from . import bp
from .auth import team_required


def sales_chart(dashboard: Dashboard) -> Markup:
    """The twelve months' sales as an SVG bar chart, the current month highlighted."""
    currency = dashboard.currency
    bars = [
        Bar(
            date(entry.month.year, entry.month.month, 1).strftime("%b"),
            entry.amount_minor,
            f"{entry.month.label}: {format_money(entry.amount_minor, currency)}",
        )
        for entry in dashboard.months
    ]
    first, last = dashboard.months[0].month.label, dashboard.months[-1].month.label
    best = max(dashboard.months, key=lambda entry: entry.amount_minor)
    description = (
        f"Paid sales each month from {first} to {last} (so far). "
        f"Highest: {best.month.label}, {format_money(best.amount_minor, currency)}. "
        f"This month: {format_money(dashboard.this_month.amount_minor, currency)}."
    )
    return bar_chart(
        bars,
        chart_id="sales-chart",
        title="Sales, last 12 months",
        description=description,
        axis_label=lambda value: compact_money(value, currency),
    )


@bp.get("/")
@team_required
def index() -> str:
    """Owners see sales, tickets, unpaid invoices and new customers; agents see the tickets owed."""
    now = utcnow()
    if current_user.role != TeamRole.OWNER:
        return render_template("console/home.html", dashboard=None, tickets=ticket_figures(g.shop, now))
    dashboard = owner_dashboard(g.shop, now)
    return render_template(
        "console/home.html", dashboard=dashboard, tickets=dashboard.tickets, chart=sales_chart(dashboard)
    )
