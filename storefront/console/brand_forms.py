"""The brand form: names, colours, theme and support contacts, each checked before it reaches the shop."""

from __future__ import annotations

import re
import unicodedata

from flask import g
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, Field, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import ColorInput

from ..branding.brand_settings import BRAND_FIELDS, contrast_checks, contrast_problem
from ..branding.theming import available_themes
from ..branding.white_label import white_label_field
from ..extensions import db
from ..models import Reseller
from ..models.reseller import COLOUR_FIELDS
from ..web.forms import usable_email

HEX_DIGITS = re.compile(r"[0-9a-f]{6}")
PHONE = re.compile(r"\+?[0-9()\-. ]{6,40}")


def hex_colour(value: object) -> object:
    """Normalise a colour code to lower case with its leading #."""
    if not isinstance(value, str):
        return value
    value = value.strip().lower()
    return f"#{value}" if HEX_DIGITS.fullmatch(value) else value


def one_line(value: object) -> object:
    """Collapse runs of whitespace (line breaks included) to single spaces."""
    return " ".join(value.split()) if isinstance(value, str) else value


def no_control_characters(form: FlaskForm, field: Field) -> None:
    """Refuse invisible control characters, which no shop text needs."""
    if any(unicodedata.category(char) == "Cc" for char in field.data or ""):
        raise ValidationError("Remove the invisible control characters from this text.")


def phone_number(form: FlaskForm, field: Field) -> None:
    """Accept a phone number people can dial: digits with the usual separators."""
    digits = re.sub(r"[^0-9]", "", field.data or "")
    if not PHONE.fullmatch(field.data) or len(digits) < 6:
        raise ValidationError("Use digits, spaces and + ( ) - . only, for example +60 3 1234 5678.")


def shops_own_address(form: FlaskForm, field: Field) -> None:
    """Refuse an address another shop already receives its mail at."""
    if field.errors:
        return
    taken = select(Reseller.id).where(
        func.lower(Reseller.support_email) == field.data, Reseller.id != g.shop.id
    )
    if db.session.scalar(taken.limit(1)) is not None:
        raise ValidationError("Another shop already receives its mail at this address. Use one of your own.")


def colour_field(label: str) -> StringField:
    """A colour picker holding a #rrggbb code."""
    return StringField(
        label,
        widget=ColorInput(),
        filters=[hex_colour],
        validators=[
            DataRequired(message="Choose a colour."),
            Regexp(r"^#[0-9a-f]{6}$", message="Use a colour code like #1d4ed8: a # and six hex digits."),
        ],
    )


class ColoursForm(FlaskForm):
    """The four brand colours, which reach the shop's CSS as custom properties."""

    color_primary = colour_field("Primary colour")
    color_accent = colour_field("Accent colour")
    color_background = colour_field("Background colour")
    color_text = colour_field("Text colour")

    def colours(self) -> dict[str, str]:
        """Return the colours by column name."""
        return {name: self[name].data for name in COLOUR_FIELDS}


class BrandForm(ColoursForm):
    """The whole brand of the shop; colours must stay readable in the chosen theme."""

    brand_name = StringField(
        "Brand name",
        filters=[one_line],
        validators=[
            DataRequired(message="Enter the shop's name."),
            Length(max=80),
            no_control_characters,
            white_label_field,
        ],
    )
    tagline = StringField(
        "Tagline", filters=[one_line], validators=[Length(max=160), no_control_characters, white_label_field]
    )
    theme = SelectField("Theme", validate_choice=False)
    support_email = EmailField(
        "Support email",
        validators=[DataRequired(), Length(max=254), usable_email, white_label_field, shops_own_address],
    )
    support_phone = StringField(
        "Support phone",
        filters=[one_line],
        validators=[Optional(), Length(max=40), phone_number, white_label_field],
    )
    support_hours = StringField(
        "Support hours",
        filters=[one_line],
        validators=[Length(max=120), no_control_characters, white_label_field],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        themes = available_themes()
        self.theme.choices = [(name, name.title()) for name in themes]
        names = ", ".join(name.title() for name in themes)
        self.theme.validators = [AnyOf(themes, message=f"Choose one of the themes: {names}.")]

    def validate(self, extra_validators=None) -> bool:
        """Validate each field, then the contrast of the colours in the chosen theme."""
        valid = super().validate(extra_validators)
        if any(self[name].errors for name in (*COLOUR_FIELDS, "theme")):
            return False
        for check in contrast_checks(self.theme.data, self.colours()):
            if not check.passes:
                self[check.field].errors.append(contrast_problem(check, self.theme.data))
                valid = False
        return valid

    def values(self) -> dict[str, str]:
        """Return the validated brand values by column name."""
        return {name: self[name].data for name in BRAND_FIELDS}

    def problems(self) -> list[str]:
        """Return every error as a sentence that names its field."""
        return [f"{field.label.text}: {error}" for field in self for error in field.errors]
