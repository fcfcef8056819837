"""The demo: three resellers' shops and the platform's staff, loaded from data.json."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from flask import current_app
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from ..branding.brand import set_logo
from ..extensions import db
from ..models import (
    BillingCycle,
    Customer,
    Domain,
    DomainOffer,
    Nameserver,
    NoticeAcceptance,
    Offer,
    OfferPrice,
    Plan,
    PlanPrice,
    PrivacyNotice,
    Reseller,
    StaffRole,
    StaffUser,
    TeamMember,
    TeamRole,
    Tld,
    utcnow,
)
from .history import seed_history
from .notice import demo_notice
from .privacy import seed_privacy

DATA_FILE = Path(__file__).with_name("data.json")


def load_demo_data() -> dict:
    """Return the demo data set."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def seed_demo(*, privacy_history: bool = True, history: bool = False) -> list[str]:
    """Create whatever of the demo is missing; return what was created. Safe to run twice.

    ``privacy_history`` adds the demo customers' disclosure, consent history and correction requests;
    without it they start with none, as a new customer does. ``history`` gives each shop a dozen
    customers with a year of orders, renewals, payments, a credit note and tickets (``history.py``);
    ``storefront seed-demo`` asks for it, the tests' plain demo does not.
    """
    data = load_demo_data()
    created: list[str] = []
    plans = {spec["code"]: _ensure_plan(spec, created) for spec in data["plans"]}
    for name, wholesale in data["tlds"].items():
        if db.session.get(Tld, name) is None:
            db.session.add(Tld(name=name, wholesale_minor=wholesale))
            created.append(f"tld .{name}")
    for spec in data["resellers"]:
        _ensure_reseller(spec, plans, data["password"], created)
    if privacy_history:
        seed_privacy(data["privacy"], created)
    for spec in data["staff"]:
        _ensure_staff(spec, data["password"], created)
    db.session.commit()
    if history:
        seed_history(data["history"], data["password"], _staff_email(data["staff"][0]), created)
    return created


def _ensure_plan(spec: dict, created: list[str]) -> Plan:
    plan = db.session.scalar(select(Plan).where(Plan.code == spec["code"]))
    if plan is None:
        plan = Plan(code=spec["code"], name=spec["name"], summary=spec["summary"])
        plan.features = spec["features"]
        plan.prices = [
            PlanPrice(cycle=BillingCycle(cycle), amount_minor=amount)
            for cycle, amount in spec["wholesale"].items()
        ]
        db.session.add(plan)
        created.append(f"plan {plan.code}")
    return plan


def _ensure_reseller(spec: dict, plans: dict[str, Plan], password: str, created: list[str]) -> None:
    existing = db.session.scalar(select(Reseller.id).where(Reseller.slug == spec["slug"]))
    if existing:
        _ensure_agent(existing, spec["agent"], password, created)
        _ensure_notice(existing, spec["customer"]["email"], created)
        return
    reseller = _new_reseller(spec)
    db.session.add(reseller)
    db.session.flush()
    for position, offer_spec in enumerate(spec["offers"]):
        db.session.add(_new_offer(reseller, plans[offer_spec["plan"]], offer_spec, position))
    for tld, amount in spec["domain_prices"].items():
        db.session.add(
            DomainOffer(reseller_id=reseller.id, tld=tld, amount_minor=amount, currency=reseller.currency)
        )
    owner = TeamMember(reseller_id=reseller.id, role=TeamRole.OWNER, **spec["owner"])
    agent = TeamMember(reseller_id=reseller.id, role=TeamRole.AGENT, **spec["agent"])
    customer = Customer(reseller_id=reseller.id, email_verified_at=utcnow(), **spec["customer"])
    for person in (owner, agent, customer):
        person.set_password(password)
        db.session.add(person)
    db.session.flush()
    _ensure_notice(reseller.id, customer.email, created)
    created.append(f"shop {reseller.slug}")


NOT_RESELLER_FIELDS = {
    "colors",
    "domains",
    "nameservers",
    "offers",
    "owner",
    "agent",
    "customer",
    "domain_prices",
}


def _ensure_agent(reseller_id: int, spec: dict, password: str, created: list[str]) -> None:
    """Give a shop seeded before the demo had agents its agent."""
    if db.session.scalar(select(TeamMember.id).where(TeamMember.email == spec["email"])):
        return
    agent = TeamMember(reseller_id=reseller_id, role=TeamRole.AGENT, **spec)
    agent.set_password(password)
    db.session.add(agent)
    created.append(f"agent {spec['email']}")


def _ensure_notice(reseller_id: int, customer_email: str, created: list[str]) -> None:
    """Give a shop without a privacy notice its first version, which the demo customer has accepted."""
    if db.session.scalar(select(PrivacyNotice.id).where(PrivacyNotice.reseller_id == reseller_id).limit(1)):
        return
    reseller = db.session.get(Reseller, reseller_id)
    db.session.add(
        PrivacyNotice(
            reseller_id=reseller_id,
            version=1,
            body=demo_notice(reseller),
            changes="The first version.",
            published_by="system",
        )
    )
    customer = db.session.scalar(
        select(Customer).where(Customer.reseller_id == reseller_id, Customer.email == customer_email)
    )
    if customer is not None and customer.privacy_notice_version == 0:
        customer.privacy_notice_version = 1
        db.session.add(NoticeAcceptance(reseller_id=reseller_id, customer_id=customer.id, version=1))
    created.append(f"privacy notice of {reseller.slug}")


def _new_reseller(spec: dict) -> Reseller:
    fields = {k: v for k, v in spec.items() if k not in NOT_RESELLER_FIELDS}
    reseller = Reseller(**fields, **{f"color_{k}": v for k, v in spec["colors"].items()})
    reseller.domains = [
        Domain(
            hostname=host,
            is_primary=index == 0,
            verification_token=secrets.token_hex(16),
            verified_at=utcnow(),
        )
        for index, host in enumerate(spec["domains"])
    ]
    reseller.nameservers = [
        Nameserver(hostname=host, position=index + 1) for index, host in enumerate(spec["nameservers"])
    ]
    set_logo(reseller, monogram(spec["brand_name"], spec["colors"]["primary"]))
    return reseller


def _new_offer(reseller: Reseller, plan: Plan, spec: dict, position: int) -> Offer:
    offer = Offer(reseller_id=reseller.id, plan=plan, position=position, featured=spec.get("featured", False))
    offer.prices = [
        OfferPrice(
            reseller_id=reseller.id,
            cycle=BillingCycle(cycle),
            amount_minor=amount,
            currency=reseller.currency,
        )
        for cycle, amount in spec["prices"].items()
    ]
    return offer


def _staff_email(spec: dict) -> str:
    return f"{spec['local_part']}@{current_app.config['PLATFORM_DOMAINS'][0]}"


def _ensure_staff(spec: dict, password: str, created: list[str]) -> None:
    email = _staff_email(spec)
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)):
        return
    staff = StaffUser(email=email, name=spec["name"], role=StaffRole(spec["role"]))
    staff.set_password(password)
    db.session.add(staff)
    created.append(f"staff {email}")


def monogram(brand_name: str, colour: str, side: int = 160) -> Image.Image:
    """Draw a simple logo: the brand's initials on a rounded square of its colour."""
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, side - 1, side - 1), radius=side // 5, fill=colour)
    initials = "".join(word[0] for word in brand_name.split()[:2]).upper()
    font = ImageFont.load_default(size=side // 2)
    draw.text((side / 2, side / 2), initials, fill="#ffffff", font=font, anchor="mm")
    return image


def demo_guide(port: int) -> str:
    """Return the demo's URLs and sign-ins, as printed by ``storefront seed-demo``."""
    data, config = load_demo_data(), current_app.config
    base, staff_host = config["STOREFRONT_BASE_DOMAIN"], config["STAFF_HOST"]
    lines = ["", "Shops:"]
    for shop in data["resellers"]:
        lines.append(f"  {shop['brand_name']:<14} http://{shop['slug']}.{base}:{port}/")
        customer, owner, agent = (shop[who]["email"] for who in ("customer", "owner", "agent"))
        lines.append(f"  {'':<14} customer {customer}; console /console/ as {owner} (owner), {agent} (agent)")
    staff = ", ".join(f"{s['local_part']}@{config['PLATFORM_DOMAINS'][0]}" for s in data["staff"])
    lines += ["", f"Staff console:  http://{staff_host}:{port}/  ({staff})"]
    lines.append(f"Every demo password: {data['password']}")
    return "\n".join(lines)
