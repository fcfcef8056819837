"""The shop's own customers: a searchable list and each customer's record (owners and agents).

Every view of customer data writes an audit entry. The list's entry keeps how long the search
was and which page, never the search itself: a term is often a name or an email, and the audit
log should not become a second copy of the personal data it guards.
"""

from __future__ import annotations

from flask import abort, g, render_template, request

from ..commerce.customer_directory import (
    DETAIL_LIMIT,
    SORTS,
    clean_search,
    customer_page,
    customer_record,
    shop_customer,
)
from ..extensions import db
from ..htmx import is_htmx
from ..paging import page_number
from . import bp
from .auth import record_team_action, record_team_list, team_required


@bp.get("/customers")
@team_required
def customers() -> str:
    """The shop's customers, newest first or by name, searched by name or email as the team types."""
    term = clean_search(request.args.get("q"))
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else SORTS[0]
    page = page_number(request.args.get("page"))
    listing = customer_page(g.shop.id, term, sort, page)
    shown = [row.id for row in listing.rows]
    record_team_list("customers", shown, f"search of {len(term)} characters, page {page}")
    db.session.commit()
    template = "console/_customer_list.html" if is_htmx() else "console/customers.html"
    return render_template(template, listing=listing, sorts=SORTS)


@bp.get("/customers/<int(max=2147483647):customer_number>")
@team_required
def customer(customer_number: int) -> str:
    """One customer's profile, orders, services and tickets; the view is audited."""
    found = shop_customer(g.shop.id, customer_number)
    if found is None:
        abort(404)
    record_team_action(f"customer:{found.id}", "view", customer_id=found.id)
    db.session.commit()
    return render_template(
        "console/customer.html", record=customer_record(g.shop.id, found), limit=DETAIL_LIMIT
    )
