"""Returning customers read and accept a new version of the shop's privacy notice.

Being asked never blocks anything: the page offers to carry on without accepting, and
checkout and support stay open either way.
"""

from __future__ import annotations

from flask import flash, g, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..branding.theming import render_themed
from ..privacy import privacy_notice
from ..web.forms import safe_next
from . import bp
from .account import customer_required
from .forms import NoticeForm


@bp.route("/account/privacy/notice", methods=["GET", "POST"])
@customer_required
def notice_review() -> Response | str:
    """Show what changed since the version the customer accepted, the full notice, and "I have read it"."""
    customer = current_user._get_current_object()
    next_page = safe_next(url_for("shop.account"))
    form = NoticeForm()
    if form.validate_on_submit():
        if privacy_notice.accept_current_notice(g.shop, customer):
            flash("Thank you for reading our privacy notice.", "success")
        return redirect(next_page, 303)
    return render_themed(
        "account/notice.html",
        form=form,
        notice=privacy_notice.current_notice(g.shop),
        changes=privacy_notice.changes_since(g.shop, customer.privacy_notice_version),
        due=privacy_notice.review_due(g.shop, customer),
        next_page=next_page,
    )
