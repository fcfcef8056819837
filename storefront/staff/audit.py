"""Searching the audit log (admins only), on screen and as CSV; each search is itself audited."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, render_template, request

from ..extensions import db
from ..paging import LAST_PAGE
from ..privacy.audit_search import (
    EXPORT_LIMIT,
    ROLES,
    AuditFilters,
    FilterError,
    audit_csv,
    audit_page,
    count_entries,
    parse_filters,
)
from ..support.escalation_screen import shop_choices
from . import bp
from .local_time import staff_zone
from .roles import ADMIN_DESK, record_staff_action, role_required


@bp.after_request
def _audit_log_not_stored(response: Response) -> Response:
    """Keep the log (whose data was seen, by whom) out of every cache, as the CSV is."""
    if request.endpoint == "staff.audit_log":
        response.headers["Cache-Control"] = "no-store"
    return response


def _page_number(raw: str | None) -> int:
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or not 1 <= int(raw) <= LAST_PAGE:
        raise FilterError("The page must be a whole number, for example 2.")
    return int(raw)


def _filters(args: Mapping[str, str], shops: list[tuple[int, str]]) -> AuditFilters:
    """Read and check the filters; a shop that does not exist is refused like any bad value."""
    filters = parse_filters(args, staff_zone().key)
    if filters.shop is not None and filters.shop not in {shop_id for shop_id, _ in shops}:
        raise FilterError("There is no such shop.")
    return filters


def _audit_search(action: str, filters: AuditFilters, outcome: str) -> None:
    """Write the search itself to the audit log; the caller commits."""
    record_staff_action(filters.shop, "audit_log", action, f"{filters.describe()}; {outcome}")


def _page(shops: list[tuple[int, str]], chosen: Mapping[str, str], **context: object) -> str:
    return render_template(
        "staff/audit.html", shops=shops, chosen=chosen, roles=ROLES, zone=staff_zone(), **context
    )


@bp.get("/audit")
@role_required(*ADMIN_DESK)
def audit_log() -> str | tuple[str, int]:
    """Search the audit log by shop, actor, role, action, record, customer, request and dates."""
    shops = shop_choices()
    try:
        filters = _filters(request.args, shops)
        page = _page_number(request.args.get("page"))
    except FilterError as error:
        return _page(shops, request.args, listing=None, error=str(error)), 400
    listing = audit_page(filters, page)
    _audit_search("audit_search", filters, f"page {listing.page}, {listing.total} entries")
    page = _page(shops, filters.query_args(), listing=listing, error=None)
    db.session.commit()
    return page


@bp.get("/audit.csv")
@role_required(*ADMIN_DESK)
def audit_download() -> Response:
    """The entries matching the filters as a CSV file, newest first."""
    try:
        filters = _filters(request.args, shop_choices())
    except FilterError as error:
        return Response(f"{error}\n", status=400, mimetype="text/plain")
    total = count_entries(filters)
    if total > EXPORT_LIMIT:
        message = f"{total} entries match; an export holds at most {EXPORT_LIMIT}. Narrow the filters."
        return Response(f"{message}\n", status=400, mimetype="text/plain")
    body = audit_csv(filters)
    _audit_search("audit_export", filters, f"{total} entries")
    db.session.commit()
    response = Response(body, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = "attachment; filename=audit-log.csv"
    response.headers["Cache-Control"] = "private, no-store"
    return response
