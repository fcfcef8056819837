"""The live brand preview: the shop's own home page drawn with proposed values, never saved.

The console frames the preview, so its responses allow framing by the same origin only.
Proposed colours reach the page through a stylesheet of their own (inline styles are
forbidden), and a proposed theme's files are served from here: the public theme and
brand URLs always carry the saved look, and must never be cached with anything else.
"""

from __future__ import annotations

from dataclasses import replace

from flask import abort, g, make_response, render_template, request, url_for
from werkzeug.wrappers import Response

from ..branding.brand import brand_stylesheet
from ..branding.brand_settings import contrast_checks
from ..branding.theming import available_themes, render_themed, theme_asset_path, theme_file
from ..catalog.offers import home_offers, parse_cycle
from ..htmx import is_htmx
from ..security_headers import content_security_policy
from . import bp
from .auth import owner_required
from .brand_forms import BrandForm, ColoursForm

FRAME_NAME = "brand-preview-frame"


def proposal_form() -> BrandForm:
    """Return the brand form filled from the query string; fields left out keep the saved values."""
    return BrandForm(formdata=request.args, obj=g.shop, meta={"csrf": False})


def preview_pane(form: BrandForm, valid: bool) -> dict[str, object]:
    """Return what the preview pane shows: the proposed look, or the problems beside the saved look."""
    if not valid:
        return {"preview_url": url_for("console.brand_preview"), "problems": form.problems(), "checks": []}
    values = form.values()
    return {
        "preview_url": url_for("console.brand_preview", **values),
        "problems": [],
        "checks": contrast_checks(values["theme"], form.colours()),
    }


def _frameable(response: Response, *, store: bool = False) -> Response:
    """Let the console (the same origin, and nobody else) frame this response."""
    policy = [
        rule for rule in content_security_policy().split("; ") if not rule.startswith("frame-ancestors")
    ]
    response.headers["Content-Security-Policy"] = "; ".join([*policy, "frame-ancestors 'self'"])
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    if not store:
        response.cache_control.no_store = True
    return response


def _proposed_home(form: BrandForm) -> str:
    """Render the shop's home page as it would look with the proposed brand."""
    # This response only: everything it renders sees the proposal; nothing is written.
    g.shop = shop = replace(g.shop, **form.values())
    stylesheet = url_for("console.brand_preview_css", **form.colours())
    return render_themed(
        "home.html",
        offers=home_offers(shop),
        cycle=parse_cycle(None),
        brand_stylesheet_url=lambda: stylesheet,
        theme_asset_url=lambda filename: url_for(
            "console.brand_preview_asset", theme=shop.theme, file=filename
        ),
    )


@bp.get("/brand/preview")
@owner_required
def brand_preview() -> Response:
    """The proposed look: the pane (to htmx) or the framed home page; invalid values get their problems."""
    form = proposal_form()
    valid = form.validate()
    if is_htmx():
        html = render_template(
            "console/_brand_preview.html", frame_name=FRAME_NAME, **preview_pane(form, valid)
        )
        return _frameable(make_response(html))
    if not valid:
        html = render_template("console/brand_preview_invalid.html", problems=form.problems())
        return _frameable(make_response(html, 400))
    return _frameable(make_response(_proposed_home(form)))


@bp.get("/brand/preview.css")
@owner_required
def brand_preview_css() -> Response:
    """The brand stylesheet for proposed colours."""
    form = ColoursForm(formdata=request.args, obj=g.shop, meta={"csrf": False})
    if not form.validate():
        return _frameable(Response("/* Colours must be #rrggbb codes. */\n", 400, mimetype="text/css"))
    return _frameable(Response(brand_stylesheet(replace(g.shop, **form.colours())), mimetype="text/css"))


@bp.get("/brand/preview/asset")
@owner_required
def brand_preview_asset() -> Response:
    """A static file of a proposed theme (``?theme=&file=``), with the shop's fallback and traversal rules."""
    theme, filename = request.args.get("theme", ""), request.args.get("file", "")
    path = theme_asset_path(theme, filename) if theme in available_themes() and filename else None
    if path is None:
        abort(404)
    return _frameable(theme_file(path), store=True)
