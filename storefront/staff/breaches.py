"""The breach register: the 72-hour clock to the Commissioner and each shop's notice to its customers.

Admins see counts of affected shops and customers, never a list of a shop's customers; the notice
each customer gets comes from their own shop, and the screen previews it shop by shop.
"""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from ..extensions import db
from ..models import Breach, StaffRole, utcnow
from ..paging import page_number
from ..privacy import breaches as breach_service
from ..privacy.breach_register import affected_shop, breach_page, shop_impacts
from . import bp
from .breach_forms import BreachForm, CommissionerForm
from .local_time import staff_time, staff_zone, zone_label
from .roles import record_staff_action, role_required

ADMIN = StaffRole.ADMIN
ID = "<int(max=2147483647):breach_id>"
# The preview is the email's own HTML (inline styles, as mail clients need), framed by the breach page only.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


@bp.after_request
def _breaches_not_stored(response: BaseResponse) -> BaseResponse:
    """Keep breach pages out of every cache."""
    if (request.endpoint or "").startswith(("staff.breach", "staff.new_breach")):
        response.headers["Cache-Control"] = "no-store"
    return response


def _breach_or_404(breach_id: int) -> Breach:
    breach = db.session.get(Breach, breach_id)
    if breach is None:
        abort(404)
    return breach


def _clock() -> dict[str, object]:
    """What every breach page needs to show times and the deadline."""
    now, zone = utcnow(), staff_zone()
    return {
        "now": now,
        "when": staff_time,
        "zone": zone_label(),
        "deadline": breach_service.deadline,
        "state": lambda breach: breach_service.deadline_state(breach, now, zone),
        "overdue": lambda breach: (
            breach.commissioner_notified_at is None and breach_service.hours_left(breach, now) <= 0
        ),
    }


@bp.get("/breaches")
@role_required(ADMIN)
def breaches() -> str:
    """Every recorded breach, latest discovered first, with its deadline and notice counts."""
    page = page_number(request.args.get("page"))
    record_staff_action(None, f"breaches:page-{page}", "list")
    db.session.commit()
    listing = breach_page(page)
    return render_template("staff/breaches.html", listing=listing, **_clock())


def _new_page(form: BreachForm, problems: list[str], status: int = 200) -> tuple[str, int]:
    return render_template("staff/breach_new.html", form=form, problems=problems, zone=zone_label()), status


@bp.route("/breaches/new", methods=["GET", "POST"])
@role_required(ADMIN)
def new_breach() -> BaseResponse | tuple[str, int]:
    """Record a breach with its shops and customers; bad input answers 400 and saves nothing."""
    form = BreachForm()
    if not form.is_submitted():
        return _new_page(form, [])
    if not form.validate():
        return _new_page(form, form.problems(), 400)
    try:
        breach = breach_service.record_breach(
            current_user.id,
            current_user.role.value,
            form.details(),
            form.shops.data,
            form.listed_emails(),
            allow_test_domains=current_app.config["EMAIL_ALLOW_TEST_DOMAINS"],
        )
    except breach_service.BreachError as error:
        db.session.rollback()
        breach_service.record_refused_list(current_user.id, current_user.role.value, form.shops.data, error)
        db.session.commit()
        return _new_page(form, error.problems, 400)
    db.session.commit()
    flash("Breach recorded. Check each shop's notice below, then send the notices.", "success")
    return redirect(url_for("staff.breach", breach_id=breach.id), 303)


def _breach_page(breach: Breach, form: CommissionerForm, problems: list[str], status: int = 200):
    page = render_template(
        "staff/breach.html",
        breach=breach,
        impacts=shop_impacts(breach.id),
        form=form,
        problems=problems,
        **_clock(),
    )
    return page, status


@bp.get(f"/breaches/{ID}")
@role_required(ADMIN)
def breach(breach_id: int) -> tuple[str, int]:
    """One breach: the deadline, the affected shops with counts, and each shop's notice."""
    found = _breach_or_404(breach_id)
    record_staff_action(None, f"breach:{found.id}", "view")
    db.session.commit()
    return _breach_page(found, CommissionerForm(), [])


@bp.get(f"/breaches/{ID}/notice/<int(max=2147483647):reseller_id>")
@role_required(ADMIN)
def breach_notice_preview(breach_id: int, reseller_id: int) -> Response:
    """The notice a shop's customers get, rendered for a sample customer (``?part=text`` for plain text)."""
    found = _breach_or_404(breach_id)
    shop = affected_shop(found.id, reseller_id)
    if shop is None:
        abort(404)
    preview = breach_service.notice_preview(found, shop)
    if request.args.get("part") == "text":
        response = Response(f"Subject: {preview.subject}\n\n{preview.text_body}", mimetype="text/plain")
    else:
        response = Response(preview.html_body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.post(f"/breaches/{ID}/notify-commissioner")
@role_required(ADMIN)
def notify_commissioner(breach_id: int) -> BaseResponse | tuple[str, int]:
    """Record that the Commissioner was told, once; a second time answers 409."""
    found = _breach_or_404(breach_id)
    form = CommissionerForm()
    if found.commissioner_notified_at is not None:
        return _breach_page(found, form, ["The Commissioner's notification is already recorded."], 409)
    if not form.validate():
        return _breach_page(found, form, form.problems(), 400)
    try:
        at = form.moment(found.discovered_at)
    except ValueError as error:
        return _breach_page(found, form, [str(error)], 400)
    if not breach_service.notify_commissioner(found, at, form.reference.data or ""):
        db.session.rollback()
        return _breach_page(found, form, ["The Commissioner's notification is already recorded."], 409)
    record_staff_action(None, f"breach:{found.id}", "notify_commissioner", form.reference.data or "")
    db.session.commit()
    flash(f"Recorded: the Commissioner was notified {staff_time(at)}.", "success")
    return redirect(url_for("staff.breach", breach_id=found.id), 303)


@bp.post(f"/breaches/{ID}/send-notices")
@role_required(ADMIN)
def send_breach_notices(breach_id: int) -> BaseResponse:
    """Queue each affected customer's notice from their shop; customers already told get nothing more."""
    found = _breach_or_404(breach_id)
    run = breach_service.send_notices(found, current_user.id, current_user.role.value, utcnow())
    db.session.commit()
    flash(f"{run.queued} notices queued, {run.already_sent} already sent.", "success")
    return redirect(url_for("staff.breach", breach_id=found.id), 303)
