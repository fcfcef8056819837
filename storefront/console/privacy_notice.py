"""The shop's privacy notice: owners publish new versions; every version is kept."""

from __future__ import annotations

import unicodedata

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import Field, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..branding.white_label import white_label_field
from ..extensions import db
from ..paging import page_number
from ..privacy import privacy_notice
from . import bp
from .auth import owner_required, record_team_action

LINE_BREAKS = {"\n", "\t"}


def plain_text(value: str | None) -> str:
    """Trim the text and write every line break as a plain newline."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def no_hidden_characters(form: FlaskForm, field: Field) -> None:
    """Refuse invisible control characters; line breaks and tabs are fine."""
    if any(unicodedata.category(char) == "Cc" and char not in LINE_BREAKS for char in field.data or ""):
        raise ValidationError("Remove the invisible control characters from this text.")


class PublishNoticeForm(FlaskForm):
    """A new version of the privacy notice: its full text and what changed."""

    body = TextAreaField(
        "The notice (plain text; leave a blank line between paragraphs)",
        filters=[plain_text],
        validators=[
            DataRequired("Write the notice."),
            Length(200, 20000, "The notice needs 200 to 20,000 characters."),
            no_hidden_characters,
            white_label_field,
        ],
    )
    changes = TextAreaField(
        "What changed (customers who accepted an earlier version read this first)",
        filters=[plain_text],
        validators=[
            DataRequired("Say what changed."),
            Length(5, 500, "Say what changed in 5 to 500 characters."),
            no_hidden_characters,
            white_label_field,
        ],
    )


def _page(form: PublishNoticeForm, error: str = "") -> tuple[str, int]:
    notice = privacy_notice.current_notice(g.shop)
    if not form.is_submitted():
        form.body.data = notice.body  # the next version starts from the current one
    history = privacy_notice.notice_history(g.shop, page_number(request.args.get("page")))
    page = render_template(
        "console/privacy_notice.html", form=form, error=error, notice=notice, history=history
    )
    return page, 400 if form.errors else 409 if error else 200


@bp.route("/privacy/notice", methods=["GET", "POST"], endpoint="privacy_notice")
@owner_required
def notice_page() -> Response | tuple[str, int]:
    """Show the current notice and every version; publish the next version."""
    form = PublishNoticeForm()
    if not form.validate_on_submit():
        return _page(form)
    publisher = f"team:{current_user.id}"
    try:
        notice = privacy_notice.publish_notice(g.shop, form.body.data, form.changes.data, publisher)
    except privacy_notice.NoticeError as error:
        return _page(form, str(error))
    record_team_action(f"privacy_notice:{notice.version}", "publish")
    db.session.commit()
    flash(f"Version {notice.version} is published. Returning customers are asked to read it.", "success")
    return redirect(url_for("console.privacy_notice"), 303)


@bp.get("/privacy/notice/<int(max=2147483647):version>", endpoint="privacy_notice_version")
@owner_required
def notice_version_page(version: int) -> str:
    """One version of the notice, as it was published."""
    notice = privacy_notice.find_notice(g.shop, version)
    if notice is None:
        abort(404)
    return render_template("console/privacy_notice_version.html", notice=notice)
