"""Correction requests: the team answers and closes them within the 21-day clock (owners and agents).

Every view of a request is audited against its customer, and so is every answer, closing and
confirmation that a correction was passed on to those the customer's data was disclosed to.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import db
from ..htmx import is_htmx
from ..models import CorrectionRequest, utcnow
from ..privacy import corrections as correction_service
from ..privacy.corrections import CorrectionConflict, CorrectionError
from . import bp
from .auth import record_team_action, record_team_list, team_required

NUMBER = "<int(max=2147483647):correction_number>"


def _list_page(template: str, listing: correction_service.CorrectionPage | None, error: str = "") -> str:
    return render_template(
        template, listing=listing, error=error, correction_days=correction_service.CORRECTION_DAYS
    )


@bp.get("/corrections")
@team_required
def corrections() -> str | tuple[str, int]:
    """The shop's correction requests: waiting ones by default, the most pressing first."""
    try:
        status = correction_service.status_filter(request.args.get("status"))
        page = correction_service.page_asked(request.args.get("page"))
    except CorrectionError as error:
        return _list_page("console/corrections.html", None, str(error)), 400
    listing = correction_service.open_requests(g.shop, status, page, utcnow())
    record_team_list("corrections", [row.customer_id for row in listing.rows], f"{status}, page {page}")
    db.session.commit()
    template = "console/_corrections_list.html" if is_htmx() else "console/corrections.html"
    return _list_page(template, listing)


def _detail_page(found: CorrectionRequest, error: str | None = None, kept: tuple[str, str] = ("", "")) -> str:
    """The request's page; ``kept`` is the form that was refused and the text it carried."""
    return render_template(
        "console/corrections_detail.html",
        detail=correction_service.request_detail(g.shop, found, utcnow()),
        error=error,
        kept=kept,
        answer_max=correction_service.ANSWER_MAX,
    )


def _correction(number: int) -> CorrectionRequest:
    found = correction_service.shop_correction(g.shop.id, number)
    if found is None:
        abort(404)
    return found


@bp.get(f"/corrections/{NUMBER}")
@team_required
def correction(correction_number: int) -> str:
    """One request: the customer, the record, their words, the clock and its history; audited."""
    found = _correction(correction_number)
    record_team_action(f"correction:{found.id}", "view", customer_id=found.customer_id)
    page = _detail_page(found)  # drawn before the commit, which would make the request load again
    db.session.commit()
    return page


def _act(
    correction_number: int, step: Callable[[CorrectionRequest], None], action: str, done: str
) -> Response | tuple[str, int]:
    """Run one step on the request; refused input changes nothing and shows the page again, audited."""
    found = _correction(correction_number)
    customer_id, subject = found.customer_id, f"correction:{found.id}"
    try:
        step(found)
    except CorrectionError as error:
        db.session.rollback()
        record_team_action(subject, "view", customer_id=customer_id)
        db.session.commit()  # the page shown again is a view of the customer's request
        status = 409 if isinstance(error, CorrectionConflict) else 400
        kept = (action, request.form.get("answer", "")[: correction_service.ANSWER_MAX])
        return _detail_page(found, str(error), kept), status
    record_team_action(subject, action, customer_id=customer_id)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("console.correction", correction_number=correction_number), 303)


@bp.post(f"/corrections/{NUMBER}/answer")
@team_required
def correction_answer(correction_number: int) -> Response | tuple[str, int]:
    """Answer the customer in writing; the answer is emailed to them."""
    text = request.form.get("answer")
    return _act(
        correction_number,
        lambda found: correction_service.answer(g.shop, found, current_user.id, text, utcnow()),
        "answer",
        "Your answer is saved and emailed to the customer.",
    )


@bp.post(f"/corrections/{NUMBER}/close")
@team_required
def correction_close(correction_number: int) -> Response | tuple[str, int]:
    """Close the request as corrected or refused (with written reasons); the customer is told."""
    outcome, note = request.form.get("outcome"), request.form.get("answer")
    return _act(
        correction_number,
        lambda found: correction_service.close(g.shop, found, current_user.id, outcome, note, utcnow()),
        "close",
        "The request is closed and the customer has been told.",
    )


@bp.post(f"/corrections/{NUMBER}/passed-on")
@team_required
def correction_passed_on(correction_number: int) -> Response | tuple[str, int]:
    """Record that the correction was passed on to those the customer's data was disclosed to."""
    return _act(
        correction_number,
        lambda found: correction_service.record_passed_on(g.shop, found, utcnow()),
        "passed_on",
        "Recorded: the correction was passed on.",
    )
