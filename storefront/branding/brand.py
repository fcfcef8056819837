"""A shop's brand: colour tokens as CSS custom properties, its logo and favicon."""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from typing import NamedTuple

from PIL import Image

from ..models import Reseller
from .shops import ShopLike

LOGO_MAX_SIDE = 512
FAVICON_SIZES = [(16, 16), (32, 32), (48, 48)]


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    """Return a colour's WCAG relative luminance."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two hex colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_on(background: str) -> str:
    """Return black or white, whichever reads better on ``background``."""
    white, black = contrast_ratio(background, "#ffffff"), contrast_ratio(background, "#000000")
    return "#ffffff" if white >= black else "#000000"


class Brand(NamedTuple):
    """What the brand stylesheet is made of."""

    color_primary: str
    color_accent: str
    color_background: str
    color_text: str
    logo_etag: str | None


def brand_tokens(shop: ShopLike | Brand) -> dict[str, str]:
    """Return the CSS custom properties that carry the shop's brand."""
    return {
        "--brand-primary": shop.color_primary,
        "--brand-on-primary": readable_on(shop.color_primary),
        "--brand-accent": shop.color_accent,
        "--brand-on-accent": readable_on(shop.color_accent),
        "--brand-background": shop.color_background,
        "--brand-text": shop.color_text,
        "--brand-logo": f'url("/logo?v={shop.logo_etag}")' if shop.logo_etag else "none",
    }


def brand_stylesheet(shop: ShopLike | Brand) -> str:
    """Return the shop's brand stylesheet: one :root rule of custom properties."""
    body = "".join(f"  {name}: {value};\n" for name, value in brand_tokens(shop).items())
    return f":root {{\n{body}}}\n"


def brand_fingerprint(shop: ShopLike) -> str:
    """Return a short hash that changes whenever the brand stylesheet would."""
    return _fingerprint(
        Brand(shop.color_primary, shop.color_accent, shop.color_background, shop.color_text, shop.logo_etag)
    )


@lru_cache(maxsize=1024)
def _fingerprint(brand: Brand) -> str:
    """Worked out once per brand: every themed page names the fingerprint in its stylesheet's URL."""
    return hashlib.sha256(brand_stylesheet(brand).encode()).hexdigest()[:16]


def set_logo(reseller: Reseller, image: Image.Image) -> None:
    """Store a decoded image as the shop's logo (PNG, bounded size) and its favicon."""
    logo = image.convert("RGBA")
    logo.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
    png = io.BytesIO()
    logo.save(png, format="PNG", optimize=True)
    reseller.logo_image = png.getvalue()
    reseller.logo_mime = "image/png"
    reseller.logo_etag = hashlib.sha256(reseller.logo_image).hexdigest()[:32]
    reseller.favicon_ico = favicon_from_image(logo)


def favicon_from_image(image: Image.Image) -> bytes:
    """Return an ICO with the usual favicon sizes, squared on a transparent canvas."""
    side = max(*image.size, FAVICON_SIZES[0][0])  # a logo smaller than the smallest icon is centred on it
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    out = io.BytesIO()
    square.save(out, format="ICO", sizes=FAVICON_SIZES)
    return out.getvalue()


@lru_cache(maxsize=64)
def plain_favicon(colour: str) -> bytes:
    """Return a favicon of one brand colour, for a shop with no logo yet."""
    return favicon_from_image(Image.new("RGBA", (48, 48), colour))
