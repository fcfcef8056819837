"""No storefront response or email names the platform: every route, fragment, error page, asset, email."""

from __future__ import annotations

import re

import pytest
from flask import Flask, abort
from sqlalchemy import select

from storefront.extensions import db
from storefront.fulfilment.provisioning import activate
from storefront.identity.password_resets import write_reset_emails
from storefront.identity.team import reset_second_factor
from storefront.mail.delivery import build_email
from storefront.models import (
    BillingCycle,
    CorrectionRequest,
    Invoice,
    OrderLine,
    OutboxMessage,
    Reseller,
    Service,
    StaffRole,
    StaffUser,
    TeamMember,
    Ticket,
    utcnow,
)
from storefront.privacy.breaches import BreachDetails, record_breach, send_notices
from storefront.support.tickets import add_staff_reply
from tests.commerce.credit_support import credit_invoice
from tests.leakguard import find_leaks, response_texts
from tests.shop.helpers import csrf_from, sign_in
from tests.steps import buy_and_pay, console_rules, console_url, ids_of_shop, invite_to_team, team_sign_in

SHOPS = {
    "acme": (["acme.localhost", "shop.acme-hosting.test"], "aisyah@example.com", "business"),
    "bluewave": (["bluewave.localhost", "bluewave-web.test"], "weiming@example.net", "wordpress"),
    "kedai": (["kedai.localhost", "kedaihosting.test"], "raj@example.org", "starter"),
}
PUBLIC = [
    "/",
    "/plans",
    "/privacy",
    "/contact",
    "/robots.txt",
    "/favicon.ico",
    "/brand.css",
    "/logo",
    "/healthz",
    "/theme/theme.css",
    "/theme/base.css",
    "/theme/nope.css",
    "/plans?cycle=bogus",
    "/missing",
    "/signup",
    "/login",
    "/reset",
    "/reset/bogus-token",
    "/verify/bogus-token",
    "/check-email",
    "/check-email?reason=reset",
    "/cart",
    "/cart/badge",
    "/explode",
    "/too-many",
]
ACCOUNT = [
    "/account",
    "/account/orders",
    "/account/invoices",
    "/account/invoices/1",
    "/account/invoices/2",
    "/account/credit-notes/1",
    "/account/credit-notes/2",
    "/account/services",
    "/account/services/1",
    "/account/services/2",
    "/account/services/1/change-plan?plan=pro",
    "/account/services/1/change-plan?plan=no-such-plan",
    "/account/profile",
    "/account/tickets",
    "/account/tickets/new",
    "/account/tickets/1",
    "/account/tickets/2",
    "/account/tickets/1/attachments/not-a-file",
    "/checkout",
    "/pay/card/forged-token",
    "/account/privacy",
    "/account/privacy?page=2",
    "/account/privacy/export",
    "/account/privacy/notice",
]
CODES = ["starter", "wordpress", "business", "pro", "mail", "no-such-plan"]
BAD_POSTS = {  # endpoint path: form data that it refuses with a message
    "/signup": {"name": "", "email": "bad", "password": "x"},
    "/login": {"email": "bad", "password": ""},
    "/reset": {"email": "bad"},
    "/reset/bogus-token": {"password": "long enough password", "confirm": "long enough password"},
    "/cart/add": {"plan": "nope", "cycle": "weekly"},
    "/cart/ffffffff/cycle": {"cycle": "weekly"},
    "/cart/ffffffff/remove": {},
    "/account/profile": {"name": ""},
    "/account/password": {"current": "wrong", "password": "x", "confirm": "y"},
    "/account/verify-email": {},
    "/checkout": {"idempotency_key": "bad"},
    "/account/invoices/1/pay/card": {},
    "/account/services/1/auto-renew": {"turn": "maybe"},
    "/account/services/1/end-at-term": {"reason": ""},
    "/account/services/1/keep-renewing": {},
    "/account/services/1/cancel": {"reason": "", "understood": "y"},
    "/account/services/1/change-plan": {"plan": "no-such-plan", "current_plan": "x", "quoted": "0"},
    "/account/services/1/withdraw-plan-change": {},
    "/account/services/1/cycle": {"cycle": "weekly"},
    "/account/services/1/cycle/withdraw": {},
    "/account/services/2/cycle": {"cycle": "annually"},
    "/payments/sandbox/callback": {},
    "/account/tickets/new": {"subject": "", "body": ""},
    "/account/tickets/1/reply": {"body": ""},
    "/account/tickets/1/escalate": {"reason": ""},
    "/account/tickets/1/reopen": {},
    "/account/tickets/1/close": {},
    "/account/privacy/consent": {"granted": "maybe"},
    "/account/privacy/corrections": {"record": "", "details": ""},
    "/account/privacy/corrections/1/withdraw": {},
    "/account/privacy/close": {"password": "wrong"},
    "/account/privacy/notice": {},
    "/logout": {},
}


def _add_error_routes(app: Flask) -> None:
    def explode() -> str:
        raise RuntimeError("internal detail")

    def too_many() -> str:
        abort(429)

    app.add_url_rule("/explode", "explode", explode)
    app.add_url_rule("/too-many", "too_many", too_many)


def _buy_and_activate(app, client, plan: str) -> None:
    """Sign in, buy a plan with a new domain, pay by card, have staff activate it and the shop credit it."""
    domain = f"guarded-{plan}.com"
    buy_and_pay(client, plan, domain)
    page = client.get("/account").text
    with app.app_context():
        service = db.session.scalar(select(Service).where(Service.domain == domain))
        activate(service.id, "web12", "guarded")
        invoice_id = db.session.scalar(
            select(Invoice.id)
            .join(OrderLine, OrderLine.order_id == Invoice.order_id)
            .where(OrderLine.id == service.order_line_id)
        )
    credit_invoice(app, invoice_id, {1: 100})
    _escalated_ticket_with_staff_reply(app, client, page)


def _escalated_ticket_with_staff_reply(app, client, page: str) -> None:
    """Open a ticket, escalate it, and have platform staff answer it."""
    token = csrf_from(page)
    opened = client.post(
        "/account/tickets/new", data={"subject": "Site down", "body": "Help", "csrf_token": token}
    )
    client.post(f"{opened.headers['Location']}/escalate", data={"reason": "No answer", "csrf_token": token})
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).order_by(Ticket.id.desc()))
        staff = db.session.scalar(select(StaffUser).where(StaffUser.email == "guard@platform.test"))
        if staff is None:
            staff = StaffUser(email="guard@platform.test", name="Guard Staffer", role=StaffRole.SUPPORT)
            staff.set_password("a long enough password")
            db.session.add(staff)
            db.session.flush()
        reseller = db.session.get(Reseller, ticket.reseller_id)
        add_staff_reply(reseller, ticket, staff, "We are on it.")
        db.session.commit()


class Guard:
    """Requests pages and records every leak and status it sees."""

    def __init__(self, app, client) -> None:
        self.app, self.client, self.statuses, self.seen = app, client, set(), set()

    def check(self, method: str, path: str, **options) -> str:
        response = self.client.open(path, method=method, **options)
        self.statuses.add(response.status_code)
        self.seen.add((method, path))
        leaks = find_leaks(self.app.config, *response_texts(response))
        assert not leaks, f"{method} {self.client.host}{path} leaks {leaks}"
        return response.get_data(as_text=True) if response.mimetype.startswith("text") else ""


def _walk(guard: Guard, signed_in: bool) -> None:
    pages = [guard.check("GET", path) for path in PUBLIC + [f"/plans/{code}" for code in CODES]]
    for cycle in BillingCycle:
        guard.check("GET", f"/plans?cycle={cycle.value}", headers={"HX-Request": "true"})
    guard.check("GET", "/cart", headers={"HX-Request": "true"})
    if signed_in:
        pages += [guard.check("GET", path) for path in ACCOUNT]
    for html in pages:  # every asset and page the pages link to
        for url in set(re.findall(r'(?:href|src)="(/[^"]+)"', html)):
            guard.check("GET", url)
    token = csrf_from(guard.client.get("/login").text)
    for path, data in BAD_POSTS.items():
        guard.check("POST", path, data={**data, "csrf_token": token})
    guard.check("POST", "/plans")  # 405
    guard.check("POST", "/signup", data={"name": "no token"})  # 400
    guard.check("POST", "/signup", data={"field": "x" * (3 * 1024 * 1024)})  # 413


@pytest.mark.parametrize("slug", list(SHOPS))
def test_no_storefront_response_names_the_platform(app, full_demo, client_for, slug: str) -> None:
    _add_error_routes(app)
    hosts, email, plan = SHOPS[slug]
    buyer = client_for(hosts[0])
    sign_in(buyer, email)
    _buy_and_activate(app, buyer, plan)
    statuses = set()
    for host in hosts:
        for signed_in in (False, True):
            client = client_for(host)
            if signed_in:
                sign_in(client, email)
            guard = Guard(app, client)
            _walk(guard, signed_in)
            statuses |= guard.statuses
    _walk_console(app, client_for(hosts[0]))
    assert {200, 302, 303, 400, 404, 405, 409, 413, 429, 500} <= statuses


def _walk_console(app, client) -> None:
    """The console is on the shop's host too: walk every console route as the shop's owner.

    Pages are fetched with the shop's own ids; every form is posted without its CSRF token
    (400, nothing changes) and a few with bad values; then the links the pages carry.
    """
    team_sign_in(client, _owner_email(app, client.host))
    guard = Guard(app, client)
    ids = ids_of_shop(app, client.host.split(".", 1)[0])
    rules = [rule for rule in console_rules(app) if rule.endpoint != "console.logout"]
    pages = [guard.check("GET", console_url(rule, ids)) for rule in rules if "GET" in rule.methods]
    pages += [
        guard.check("GET", "/console/tickets?view=escalated"),
        guard.check("GET", "/console/tickets/999"),
    ]
    for rule in rules:
        if "POST" in rule.methods:
            guard.check("POST", console_url(rule, ids), data={"field": "no token"})
    links = {url for html in pages for url in re.findall(r'(?:href|src)="(/[^"]+)"', html)}
    for url in links - {"/console/logout"}:
        guard.check("GET", url)
    token = csrf_from(client.get("/console/tickets").text)
    for action in ("reply", "note", "status", "escalate"):
        guard.check("POST", f"/console/tickets/999/{action}", data={"csrf_token": token})
    guard.check("POST", "/console/settings/support", data={"first_response_hours": "0", "csrf_token": token})
    guard.check("POST", "/console/logout", data={"csrf_token": token})


def _owner_email(app, host: str) -> str:
    with app.app_context():
        slug = host.split(".", 1)[0]
        reseller = db.session.scalar(select(Reseller).where(Reseller.slug == slug))
        return f"owner@{reseller.support_email.split('@', 1)[1]}"


def test_no_email_names_the_platform(app, full_demo, client_for) -> None:
    for hosts, email, plan in SHOPS.values():
        client = client_for(hosts[0])
        sign_in(client, email)
        _buy_and_activate(app, client, plan)
        invite_to_team(client_for(hosts[0]), _owner_email(app, hosts[0]), f"invited-{plan}@example.com")
        token = csrf_from(client.get("/reset").text)
        client.post("/reset", data={"email": email, "csrf_token": token})
        _correction_answered_and_closed(app, client, client_for(hosts[0]))
        client.post(
            "/signup",
            data={
                "name": "New",
                "email": f"new-{plan}@example.com",
                "password": "long enough password",
                "privacy_notice": "y",
                "csrf_token": token,
            },
        )
    _breach_notices_sent(app)
    _second_factor_reset(app)
    with app.app_context():
        write_reset_emails()  # as the delivery step does before sending
        messages = list(db.session.scalars(select(OutboxMessage)))
        kinds = {message.kind for message in messages}
        assert kinds >= {
            "verify_email",
            "reset_password",
            "order_confirmation",
            "invoice",
            "payment_receipt",
            "service_active",
            "team_invitation",
            "team_correction_request",
            "correction_answer",
            "correction_closed",
            "breach_notice",
            "team_second_factor_reset",
        }
        for message in messages:
            raw = build_email(message).as_string()
            assert not find_leaks(app.config, raw), f"{message.kind} email leaks"


def _correction_answered_and_closed(app, customer, team) -> None:
    """The customer asks for a correction; the shop's owner answers it and closes it."""
    token = csrf_from(customer.get("/account/privacy").text)
    customer.post(
        "/account/privacy/corrections",
        data={"record": "other", "details": "My name is spelt wrongly.", "csrf_token": token},
    )
    with app.app_context():
        correction = db.session.scalar(select(CorrectionRequest.number).order_by(CorrectionRequest.id.desc()))
    team_sign_in(team, _owner_email(app, team.host))
    token = csrf_from(team.get(f"/console/corrections/{correction}").text)
    path = f"/console/corrections/{correction}"
    assert team.post(f"{path}/answer", data={"answer": "Fixed.", "csrf_token": token}).status_code == 303
    closed = team.post(f"{path}/close", data={"outcome": "corrected", "answer": "", "csrf_token": token})
    assert closed.status_code == 303


def _breach_notices_sent(app) -> None:
    """Platform staff record a breach reaching every shop and send each shop's notice."""
    with app.app_context():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.email == "guard@platform.test"))
        details = BreachDetails(
            title="Backup copied",
            occurred_at=None,
            discovered_at=utcnow(),
            scope="A backup was copied.",
            data_categories="names, emails",
            measures="Passwords were reset.",
        )
        shops = list(db.session.scalars(select(Reseller.id)))
        breach = record_breach(staff.id, "admin", details, shops, None, allow_test_domains=True)
        send_notices(breach, staff.id, "admin", utcnow())
        db.session.commit()


def _second_factor_reset(app) -> None:
    """Each shop's owner resets an agent's second factor, which tells the agent by email."""
    with app.app_context():
        for reseller in db.session.scalars(select(Reseller)):
            members = db.session.scalars(select(TeamMember).filter_by(reseller_id=reseller.id))
            team = {member.role.value: member for member in members}
            team["agent"].totp_enabled_at = utcnow()
            reset_second_factor(reseller, team["owner"], team["agent"])


def test_the_walk_covers_every_shop_route(app) -> None:
    """Storefront routes are listed by hand; the console walk takes every console route itself."""
    walked_rules = {
        "/",
        "/plans",
        "/plans/<code>",
        "/privacy",
        "/contact",
        "/robots.txt",
        "/favicon.ico",
        "/brand.css",
        "/logo",
        "/healthz",
        "/theme/<path:filename>",
        "/signup",
        "/check-email",
        "/verify/<token>",
        "/login",
        "/logout",
        "/reset",
        "/reset/<token>",
        "/account",
        "/account/profile",
        "/account/password",
        "/account/verify-email",
        "/account/orders",
        "/account/invoices",
        "/account/invoices/<int(max=2147483647):number>",
        "/account/credit-notes/<int(max=2147483647):number>",
        "/account/services",
        "/account/services/<int(max=2147483647):number>",
        "/account/services/<int(max=2147483647):number>/auto-renew",
        "/account/services/<int(max=2147483647):number>/end-at-term",
        "/account/services/<int(max=2147483647):number>/keep-renewing",
        "/account/services/<int(max=2147483647):number>/cancel",
        "/account/services/<int(max=2147483647):number>/change-plan",
        "/account/services/<int(max=2147483647):number>/withdraw-plan-change",
        "/account/services/<int(max=2147483647):number>/cycle",
        "/account/services/<int(max=2147483647):number>/cycle/withdraw",
        "/account/invoices/<int(max=2147483647):number>/pay/card",
        "/pay/card/<token>",
        "/payments/sandbox/callback",
        "/cart",
        "/cart/badge",
        "/cart/add",
        "/cart/<item_id>/cycle",
        "/cart/<item_id>/remove",
        "/checkout",
        "/account/tickets",
        "/account/tickets/new",
        "/account/tickets/<int(max=2147483647):ticket_number>",
        "/account/tickets/<int(max=2147483647):ticket_number>/reply",
        "/account/tickets/<int(max=2147483647):ticket_number>/close",
        "/account/tickets/<int(max=2147483647):ticket_number>/reopen",
        "/account/tickets/<int(max=2147483647):ticket_number>/escalate",
        "/account/tickets/<int(max=2147483647):ticket_number>/attachments/<stored_name>",
        "/account/privacy",
        "/account/privacy/export",
        "/account/privacy/notice",
        "/account/privacy/consent",
        "/account/privacy/corrections",
        "/account/privacy/corrections/<int(max=2147483647):correction_number>/withdraw",
        "/account/privacy/close",
    }
    routes = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("shop.") or rule.endpoint == "healthz"
    }
    assert routes <= walked_rules, f"add {routes - walked_rules} to the leak guard"


def test_the_guard_finds_a_leak_when_there_is_one(app, demo, client_for) -> None:
    with app.app_context():
        acme = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        acme.tagline = "Proudly powered by WEBSERVER, call 03-2770 2833"
        db.session.commit()
    response = client_for("acme.localhost").get("/")
    assert set(find_leaks(app.config, *response_texts(response))) >= {"WebServer", "0327702833"}
