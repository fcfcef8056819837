"""The shop's brand (owners only): names, colours, theme, support contacts and the logo."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ..branding import logos
from ..branding.brand_settings import update_brand
from ..errors import render_error
from ..extensions import db
from ..models import Reseller, TeamMember, TeamRole
from . import bp
from .auth import owner_required, record_team_action
from .brand_forms import BrandForm
from .brand_preview import FRAME_NAME, preview_pane  # also registers the preview routes


def _brand_page(form: BrandForm, *, valid: bool = True, logo_error: str | None = None) -> str:
    """Render the brand page: the form, the preview pane and the logo."""
    return render_template(
        "console/brand.html",
        form=form,
        logo_error=logo_error,
        frame_name=FRAME_NAME,
        **preview_pane(form, valid),
    )


@bp.route("/brand", methods=["GET", "POST"])
@owner_required
def brand() -> Response | tuple[str, int]:
    """Show the brand form; save it when every value is valid and readable."""
    form = BrandForm(obj=g.shop)
    if not form.is_submitted():
        return _brand_page(form), 200
    if not form.validate():
        return _brand_page(form, valid=False), 400
    reseller = db.session.get(Reseller, g.shop.id)
    changed = update_brand(reseller, form.values())
    if changed:
        record_team_action(f"reseller:{reseller.id}", "brand", "changed " + ", ".join(changed))
    db.session.commit()
    flash("Saved. Your shop shows the new look now." if changed else "Nothing had changed.", "success")
    return redirect(url_for("console.brand"), 303)


@bp.post("/brand/logo")
@owner_required
def brand_logo() -> Response | tuple[str, int]:
    """Replace the logo (and the favicon made from it) with an uploaded image."""
    reseller = db.session.get(Reseller, g.shop.id)
    try:
        logos.replace_logo(reseller, logos.read_upload(request.files.get("logo")))
    except logos.LogoRejected as rejection:
        db.session.rollback()
        return _brand_page(BrandForm(formdata=None, obj=g.shop), logo_error=str(rejection)), rejection.status
    record_team_action(f"reseller:{reseller.id}", "logo", f"new logo {reseller.logo_etag}")
    db.session.commit()
    flash("Logo saved. The favicon is made from it.", "success")
    return redirect(url_for("console.brand"), 303)


@bp.post("/brand/logo/remove")
@owner_required
def brand_logo_remove() -> Response:
    """Remove the logo; the favicon becomes a square of the primary colour."""
    reseller = db.session.get(Reseller, g.shop.id)
    if reseller.logo_etag:
        logos.remove_logo(reseller)
        record_team_action(f"reseller:{reseller.id}", "logo_removed")
        db.session.commit()
    flash("Logo removed.", "success")
    return redirect(url_for("console.brand"), 303)


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """An oversized logo gets the brand page with the limit; any other console request the usual 413."""
    member = current_user._get_current_object()
    is_owner = isinstance(member, TeamMember) and member.role == TeamRole.OWNER
    if request.endpoint != "console.brand_logo" or not is_owner:
        return render_error(error)
    return _brand_page(BrandForm(formdata=None, obj=g.shop), logo_error=logos.TOO_LARGE), 413
