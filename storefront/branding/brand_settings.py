"""The brand a shop's owner edits: which colours must stay readable, and saving the changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..models import Reseller
from .brand import contrast_ratio, readable_on
from .theming import available_themes

MIN_CONTRAST = 4.5  # WCAG 2 AA, normal-size text
BRAND_FIELDS = (
    "brand_name",
    "tagline",
    "theme",
    "color_primary",
    "color_accent",
    "color_background",
    "color_text",
    "support_email",
    "support_phone",
    "support_hours",
)
# Themes whose stylesheets set text in the primary colour straight on the page background
# (the default theme's outline buttons and error codes); the others only fill with it and put
# the automatically readable --brand-on-primary on top.
PRIMARY_AS_TEXT_THEMES = frozenset({"default"})


@dataclass(frozen=True, slots=True)
class ContrastCheck:
    """One pair of brand colours that the shop shows as text on a background."""

    field: str
    label: str
    foreground: str
    background: str

    @property
    def ratio(self) -> float:
        """The WCAG contrast ratio of the pair."""
        return contrast_ratio(self.foreground, self.background)

    @property
    def shown_ratio(self) -> str:
        """The ratio to two decimals, as contrast checkers show it; a refused pair never reads as 4.50:1."""
        shown = round(self.ratio, 2) if self.passes else min(round(self.ratio, 2), MIN_CONTRAST - 0.01)
        return f"{shown:.2f}:1"

    @property
    def passes(self) -> bool:
        """True when the pair reaches WCAG AA."""
        return self.ratio >= MIN_CONTRAST


def contrast_checks(theme: str, colours: Mapping[str, str]) -> list[ContrastCheck]:
    """Return the colour pairs the theme shows as text on the page background."""
    background = colours["color_background"]
    checks = [ContrastCheck("color_text", "Text on background", colours["color_text"], background)]
    if theme in PRIMARY_AS_TEXT_THEMES:
        checks.append(
            ContrastCheck(
                "color_primary", "Primary colour on background", colours["color_primary"], background
            )
        )
    return checks


def contrast_problem(check: ContrastCheck, theme: str) -> str:
    """Return what is wrong with a failing pair and what to change, in plain words."""
    shade = "darker" if readable_on(check.background) == "#000000" else "lighter"
    opposite = "lighter" if shade == "darker" else "darker"
    if check.field == "color_text":
        return (
            f"{check.foreground} on the background {check.background} has a contrast of only "
            f"{check.shown_ratio}; WCAG AA needs at least {MIN_CONTRAST}:1. "
            f"Choose a {shade} text colour or a {opposite} background."
        )
    fills = ", ".join(name.title() for name in available_themes() if name not in PRIMARY_AS_TEXT_THEMES)
    return (
        f"The {theme.title()} theme shows this colour as text on the background (outline buttons, error "
        f"codes), so it needs a contrast of at least {MIN_CONTRAST}:1 there too (WCAG AA), but "
        f"{check.foreground} on {check.background} has only {check.shown_ratio}. "
        f"Choose a {shade} primary colour, or a theme that uses it only as a fill ({fills})."
    )


def update_brand(reseller: Reseller, values: Mapping[str, str]) -> list[str]:
    """Apply validated brand values to the shop; return the names of the fields that changed."""
    changed = [name for name in BRAND_FIELDS if getattr(reseller, name) != values[name]]
    for name in changed:
        setattr(reseller, name, values[name])
    return changed
