"""Staff console forms: signing in, shops and plans."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, Field, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..branding.shop_admin import ShopDraft
from ..catalog.plan_admin import PlanDraft, PlanError
from ..catalog.pricing import PriceError, decimal_text, parse_money
from ..models import BillingCycle, Plan


class StaffLoginForm(FlaskForm):
    """Sign in to the staff console."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class ShopForm(FlaskForm):
    """A shop's brand and legal details; the service checks each and says what is wrong."""

    brand_name = StringField("Brand name", validators=[Length(max=400)])
    legal_name = StringField("Legal name", validators=[Length(max=400)])
    postal_address = TextAreaField("Postal address", validators=[Length(max=1000)])
    support_email = StringField("Support email", validators=[Length(max=400)])
    support_phone = StringField("Support phone", validators=[Length(max=200)])
    timezone = StringField("Time zone", default="Asia/Kuala_Lumpur", validators=[Length(max=64)])

    def draft(self) -> ShopDraft:
        """Return the details as typed."""
        return ShopDraft(
            brand_name=self.brand_name.data or "",
            legal_name=self.legal_name.data or "",
            support_email=self.support_email.data or "",
            postal_address=self.postal_address.data or "",
            support_phone=self.support_phone.data or "",
            timezone=self.timezone.data or "",
        )


class OwnerInvitationForm(FlaskForm):
    """Who is to own the shop: they get an emailed invitation to its console."""

    owner_name = StringField("Owner's name", validators=[Length(max=400)])
    owner_email = StringField("Owner's email", validators=[Length(max=400)])


class NewShopForm(ShopForm, OwnerInvitationForm):
    """A new shop, its slug (fixed from then on) and the invitation of its first owner."""

    slug = StringField("Slug", validators=[Length(max=200)])


class PlanForm(FlaskForm):
    """A wholesale plan: texts, features one per line, and a price per cycle (blank: not sold)."""

    code = StringField("Code", validators=[Length(max=200)])
    name = StringField("Name", validators=[Length(max=400)])
    summary = TextAreaField("Summary", validators=[Length(max=2000)])
    features = TextAreaField("Features, one per line", validators=[Length(max=4000)])
    price_monthly = StringField("Monthly (RM)", validators=[Length(max=40)])
    price_quarterly = StringField("Quarterly (RM)", validators=[Length(max=40)])
    price_annually = StringField("Annually (RM)", validators=[Length(max=40)])

    def price_fields(self) -> list[tuple[BillingCycle, Field]]:
        """Each cycle with the field its price is typed in."""
        return [(cycle, self[f"price_{cycle.value}"]) for cycle in BillingCycle]

    def draft(self) -> PlanDraft:
        """Return the plan as typed; an amount that is not one raises PlanError."""
        prices = {}
        for cycle, field in self.price_fields():
            text = (field.data or "").strip()
            if text:
                try:
                    prices[cycle] = parse_money(text.removeprefix("RM").strip())
                except PriceError as error:
                    raise PlanError(f"{cycle.label} price: {error}") from None
        return PlanDraft(
            name=self.name.data or "",
            summary=self.summary.data or "",
            features=(self.features.data or "").splitlines(),
            prices=prices,
        )

    def fill(self, plan: Plan) -> None:
        """Show a saved plan's values."""
        self.code.data, self.name.data, self.summary.data = plan.code, plan.name, plan.summary
        self.features.data = "\n".join(plan.features)
        saved = {price.cycle: price.amount_minor for price in plan.prices}
        for cycle, field in self.price_fields():
            field.data = decimal_text(saved[cycle]) if cycle in saved else ""
