"""The owner's view of the audit log: who saw or changed the data of the shop's customers, and when.

The shop's team appear by name; the platform's staff only as the shop's escalation persona.
"""

from __future__ import annotations

from flask import g, render_template, request

from ..extensions import db
from ..paging import page_number
from ..privacy.audit_search import FilterError
from ..privacy.shop_audit import parse_owner_filters, shop_audit_page
from . import bp
from .auth import owner_required, record_team_action


@bp.get("/audit")
@owner_required
def audit_log() -> tuple[str, int]:
    """Entries about the shop's customers, newest first, by customer and action; the view is audited."""
    try:
        customer, action = parse_owner_filters(request.args)
    except FilterError as error:
        return render_template("console/audit.html", listing=None, error=str(error), chosen=request.args), 400
    page = page_number(request.args.get("page"))
    listing = shop_audit_page(g.shop.id, g.shop.escalation_persona, customer, action, page)
    chosen = {key: value for key, value in (("customer", customer), ("action", action)) if value}
    described = ", ".join(f"{key} {value}" for key, value in chosen.items())
    record_team_action("audit", "list", f"page {page}" + (f", {described}" if described else ""))
    shown = render_template("console/audit.html", listing=listing, error=None, chosen=chosen)
    db.session.commit()
    return shown, 200
