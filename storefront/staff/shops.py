"""The admin desk's shops: open a shop with its owner's invitation, change its details, invite
another owner. Refusals answer 400 with the message and the typed values; nothing is saved."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..branding.shop_admin import find_shop_by_slug
from ..identity.shop_opening import ShopError, edit_shop, invite_shop_owner, open_shop
from ..identity.team import TeamError
from ..models import Reseller
from . import bp
from .forms import NewShopForm, OwnerInvitationForm, ShopForm
from .roles import ADMIN_DESK, role_required

SLUG = "<string(maxlength=40):slug>"
PageAnswer = tuple[str, int]


def _actor() -> tuple[str, str]:
    return f"staff:{current_user.id}", current_user.role.value


def _shop(slug: str) -> Reseller:
    reseller = find_shop_by_slug(slug)
    if reseller is None:
        abort(404)
    return reseller


def _new_page(form: NewShopForm, status: int = 200, error: str = "") -> PageAnswer:
    return render_template("staff/shop_new.html", form=form, error=error), status


def _edit_page(
    reseller: Reseller,
    form: ShopForm | None = None,
    invitation: OwnerInvitationForm | None = None,
    status: int = 200,
    error: str = "",
) -> PageAnswer:
    if form is None:
        form = ShopForm(formdata=None, obj=reseller)
    page = render_template(
        "staff/shop_edit.html",
        shop=reseller,
        form=form,
        invitation=invitation or OwnerInvitationForm(formdata=None),
        error=error,
    )
    return page, status


@bp.route("/shops/new", methods=["GET", "POST"])
@role_required(*ADMIN_DESK)
def shop_new() -> Response | PageAnswer:
    """Open a shop: its slug, brand and legal details, and the owner invited to its console."""
    form = NewShopForm()
    if not form.is_submitted():
        return _new_page(form)
    if not form.validate():
        return _new_page(form, 400, "Please correct the marked fields.")
    try:
        reseller = open_shop(
            form.slug.data or "",
            form.draft(),
            form.owner_name.data or "",
            form.owner_email.data or "",
            *_actor(),
        )
    except (ShopError, TeamError) as error:
        return _new_page(form, 400, str(error))
    flash(f"{reseller.brand_name} is open; its owner has been emailed an invitation.", "success")
    return redirect(url_for("staff.shop_edit", slug=reseller.slug), 303)


@bp.route(f"/shops/{SLUG}", methods=["GET", "POST"])
@role_required(*ADMIN_DESK)
def shop_edit(slug: str) -> Response | PageAnswer:
    """Change a shop's brand name and legal details (its slug stays)."""
    reseller = _shop(slug)
    form = ShopForm()
    if not form.is_submitted():
        return _edit_page(reseller)
    if not form.validate():
        return _edit_page(reseller, form, status=400, error="Please correct the marked fields.")
    try:
        changed = edit_shop(reseller, form.draft(), *_actor())
    except ShopError as error:
        return _edit_page(reseller, form, status=400, error=str(error))
    flash(
        f"Saved: {', '.join(name.replace('_', ' ') for name in changed)}." if changed else "Nothing changed.",
        "success",
    )
    return redirect(url_for("staff.shop_edit", slug=reseller.slug), 303)


@bp.post(f"/shops/{SLUG}/owner-invitation")
@role_required(*ADMIN_DESK)
def shop_invite_owner(slug: str) -> Response | PageAnswer:
    """Email an invitation to own a shop that has no owner (the first invitation expired)."""
    reseller = _shop(slug)
    invitation = OwnerInvitationForm()
    if not invitation.validate():
        return _edit_page(
            reseller, invitation=invitation, status=400, error="Please correct the marked fields."
        )
    try:
        invite_shop_owner(
            reseller, invitation.owner_name.data or "", invitation.owner_email.data or "", *_actor()
        )
    except (ShopError, TeamError) as error:
        return _edit_page(reseller, invitation=invitation, status=400, error=str(error))
    flash(f"An invitation to own {reseller.brand_name} is on its way.", "success")
    return redirect(url_for("staff.shop_edit", slug=reseller.slug), 303)
