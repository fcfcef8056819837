"""The wholesale statement (owners only): a month's charges from the platform, on screen and as CSV."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Response, g, render_template, request

from ..commerce.statement import Month, MonthError, month_of, monthly_statement, parse_month, statement_csv
from ..models import utcnow
from ..paging import page_number
from . import bp
from .auth import owner_required


def _this_month() -> Month:
    return month_of(utcnow(), ZoneInfo(g.shop.timezone))


def _chosen_month() -> Month:
    """The month asked for in ``?month=YYYY-MM``, else the current month in the shop's time zone."""
    raw = request.args.get("month")
    return _this_month() if raw is None else parse_month(raw)


@bp.get("/statement")
@owner_required
def statement() -> tuple[str, int]:
    """A month's wholesale charges with the total; a month that cannot be read shows this month and why."""
    error = None
    try:
        month = _chosen_month()
    except MonthError as refused:
        month, error = _this_month(), str(refused)
    page = page_number(request.args.get("page"))
    shown = monthly_statement(g.shop, month, page)
    return render_template(
        "console/statement.html", statement=shown, error=error, this_month=_this_month()
    ), 400 if error else 200


@bp.get("/statement.csv")
@owner_required
def statement_download() -> Response:
    """The month's wholesale charges as a CSV file."""
    try:
        month = _chosen_month()
    except MonthError as refused:
        return Response(f"{refused}\n", status=400, mimetype="text/plain")
    response = Response(statement_csv(g.shop, month), content_type="text/csv; charset=utf-8")
    filename = f"statement-{g.shop.slug}-{month.slug}.csv"
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Cache-Control"] = "private, no-store"
    return response
