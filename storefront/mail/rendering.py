"""Rendering branded emails from ``templates/email``: HTML autoescaped, text and subject verbatim."""

from __future__ import annotations

import re

from flask import Flask, current_app
from jinja2 import Environment

from ..branding.brand import readable_on
from ..branding.shops import ShopLike

_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
FALLBACK_COLOUR = "#1d4ed8"


def email_environment(app: Flask, *, html: bool) -> Environment:
    """Return the memoised overlay of Flask's Jinja environment for HTML or plain-text mail."""
    environments: dict[bool, Environment] = app.extensions.setdefault("email_environments", {})
    if html not in environments:
        # Text parts must reach the reader as written: no HTML escaping, Jinja's block
        # tags leave no blank lines behind, and an included partial keeps its last line
        # break, so the line after an include starts a line of its own.
        options = {} if html else {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}
        environments[html] = app.jinja_env.overlay(autoescape=html, **options)
    return environments[html]


def render_email(shop: ShopLike, template: str, context: dict[str, object]) -> tuple[str, str, str]:
    """Return the subject, text body and HTML body of ``email/<template>`` for ``shop``."""
    app = current_app._get_current_object()
    colour = brand_colour(shop)
    context = {**context, "shop": shop, "brand_colour": colour, "brand_ink": readable_on(colour)}
    text_env = email_environment(app, html=False)
    subject = text_env.get_template(f"email/{template}.subject.txt").render(context)
    text_body = text_env.get_template(f"email/{template}.txt").render(context)
    html_body = email_environment(app, html=True).get_template(f"email/{template}.html").render(context)
    return subject.strip(), text_body.strip() + "\n", html_body


def brand_colour(shop: ShopLike) -> str:
    """Return the shop's primary colour if it is a plain hex colour, else a neutral blue."""
    colour = shop.color_primary
    return colour if _HEX_COLOUR.fullmatch(colour) else FALLBACK_COLOUR
