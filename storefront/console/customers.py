"""The shop's own customers: a searchable list and each customer's record (owners and agents), with
their account credit; owners adjust it by hand with a reason.

Every view of customer data writes an audit entry. The list's entry keeps how long the search
was and which page, never the search itself: a term is often a name or an email, and the audit
log should not become a second copy of the personal data it guards.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..commerce.account_credit import (
    Adjustment,
    CreditError,
    adjust_account_credit,
    credit_balances,
    credit_ledger,
)
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
from .auth import owner_required, record_team_action, record_team_list, team_required
from .credit_forms import CreditAdjustmentForm, first_problem

NUMBER = "<int(max=2147483647):customer_number>"


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


def _customer_page(found, form: CreditAdjustmentForm | None = None, error: str | None = None) -> str:
    return render_template(
        "console/customer.html",
        record=customer_record(g.shop.id, found),
        limit=DETAIL_LIMIT,
        balances=credit_balances(g.shop.id, found.id),
        ledger=credit_ledger(g.shop.id, found.id),
        credit_form=form or CreditAdjustmentForm(formdata=None),
        credit_error=error,
    )


@bp.get(f"/customers/{NUMBER}")
@team_required
def customer(customer_number: int) -> str:
    """One customer's profile, orders, services, tickets and account credit; the view is audited."""
    found = shop_customer(g.shop.id, customer_number)
    if found is None:
        abort(404)
    record_team_action(f"customer:{found.id}", "view", customer_id=found.id)
    db.session.commit()
    return _customer_page(found)


@bp.post(f"/customers/{NUMBER}/credit")
@owner_required
def adjust_credit(customer_number: int) -> Response | tuple[str, int]:
    """Add to or take from the customer's account credit by hand, with the reason; audited."""
    found = shop_customer(g.shop.id, customer_number)
    if found is None:
        abort(404)
    form = CreditAdjustmentForm()
    try:
        if not form.validate():
            raise CreditError(first_problem(form))
        asked = Adjustment(form.direction.data, form.amount.data, form.reason.data)
        entry = adjust_account_credit(g.shop, found, asked, f"team:{current_user.id}")
    except CreditError as error:
        db.session.rollback()
        record_team_action(f"customer:{found.id}", "view", customer_id=found.id)
        db.session.commit()
        return _customer_page(found, form, str(error)), 400
    record_team_action(f"customer:{found.id}", "adjust_credit", entry.reason, customer_id=found.id)
    db.session.commit()
    flash("The account credit is adjusted.", "success")
    return redirect(
        url_for("console.customer", customer_number=customer_number, _anchor="account-credit"), 303
    )
