"""The breach register: the 72-hour deadline, affected shops and customers, and each shop's own notice."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.mail.delivery import build_email
from storefront.models import (
    AuditEntry,
    Breach,
    BreachCustomer,
    BreachShop,
    Customer,
    StaffRole,
    StaffUser,
    utcnow,
)
from storefront.privacy.breaches import BreachDetails, deadline, deadline_state, record_breach
from tests.leakguard import find_leaks
from tests.shop.helpers import csrf_from, link_in, outbox
from tests.staff.escalation_helpers import CUSTOMERS, shop_id, staff_client, staff_id

KL = ZoneInfo("Asia/Kuala_Lumpur")
NEW = "/staff/breaches/new"
SCOPE = "A backup of our customer database could be read from the internet for two days."
MEASURES = "We closed the backup and signed everyone out. Please change your password."


def local(hours_ago: float) -> str:
    """A datetime-local value in Kuala Lumpur time, ``hours_ago`` hours back."""
    return (datetime.now(KL) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")


def breach_form(app, **changes: object) -> dict[str, object]:
    """A complete breach at Acme and Kedai reaching all their customers, discovered two hours ago."""
    values = {
        "title": "Backup bucket left open",
        "occurred_at": local(50),
        "discovered_at": local(2),
        "scope": SCOPE,
        "data_categories": "Names, email addresses, postal addresses",
        "measures": MEASURES,
        "shops": [str(shop_id(app, "acme")), str(shop_id(app, "kedai"))],
        "customers": "all",
        "emails": "",
    }
    return {**values, **changes}


def create(client, data: dict[str, object]):
    token = csrf_from(client.get(NEW).text)
    return client.post(NEW, data={**data, "csrf_token": token})


def created(app, client, **changes: object) -> int:
    """Record a breach and return its id."""
    response = create(client, breach_form(app, **changes))
    assert response.status_code == 303, unescape(response.text)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def post(client, path: str, data: dict | None = None, page: str = "/staff/breaches"):
    token = csrf_from(client.get(page).text)
    return client.post(path, data={**(data or {}), "csrf_token": token})


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(m))
            for m in (Breach, BreachShop, BreachCustomer)
        )


def active_customers(app, *slugs: str) -> set[int]:
    with app.app_context():
        ids = [shop_id(app, slug) for slug in slugs]
        return set(
            db.session.scalars(
                select(Customer.id).where(Customer.reseller_id.in_(ids), Customer.anonymised_at.is_(None))
            )
        )


def customer_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Customer.id).where(Customer.email == CUSTOMERS[slug]))


def add_customer(app, slug: str, email: str, *, anonymised: bool = False) -> int:
    with app.app_context():
        customer = Customer(reseller_id=shop_id(app, slug), email=email, name="Extra Person")
        customer.set_password("a long enough password")
        if anonymised:
            customer.closed_at = customer.anonymised_at = utcnow()
        db.session.add(customer)
        db.session.commit()
        return customer.id


def breach_reaching(app, *slugs: str) -> int:
    """Record a breach reaching every customer of the shops (as the first staff member); return its id."""
    details = BreachDetails("Seeded incident", None, utcnow() - timedelta(hours=1), SCOPE, "Names", MEASURES)
    with app.app_context():
        staff = db.session.scalar(select(StaffUser.id).order_by(StaffUser.id))
        shops = [shop_id(app, slug) for slug in slugs]
        breach = record_breach(staff, "admin", details, shops, None, allow_test_domains=True)
        db.session.commit()
        return breach.id


@pytest.fixture
def admin(demo, client_for, make_staff):
    return staff_client(client_for, make_staff, StaffRole.ADMIN)


def test_a_breach_reaching_every_customer_of_the_chosen_shops(app, admin) -> None:
    gone = add_customer(app, "acme", "gone@example.com", anonymised=True)
    breach_id = created(app, admin)
    with app.app_context():
        breach = db.session.get(Breach, breach_id)
        assert (breach.title, breach.scope, breach.measures) == ("Backup bucket left open", SCOPE, MEASURES)
        assert breach.data_categories == "Names, email addresses, postal addresses"
        assert breach.recorded_by_id == staff_id(app)
        assert breach.discovered_at.astimezone(KL).strftime("%Y-%m-%dT%H:%M") == local(2)
        assert breach.occurred_at.astimezone(KL).strftime("%Y-%m-%dT%H:%M") == local(50)
        shops = set(db.session.scalars(select(BreachShop.reseller_id)))
        rows = db.session.execute(select(BreachCustomer.customer_id, BreachCustomer.reseller_id)).all()
        audits = db.session.scalars(
            select(AuditEntry.reseller_id).where(AuditEntry.action == "record_breach")
        )
        assert set(audits) == shops
    assert shops == {shop_id(app, "acme"), shop_id(app, "kedai")}
    assert {customer for customer, _ in rows} == active_customers(app, "acme", "kedai")
    assert gone not in {customer for customer, _ in rows}
    assert (customer_id(app, "acme"), shop_id(app, "acme")) in rows
    page = admin.get(f"/staff/breaches/{breach_id}").text
    assert "Backup bucket left open" in page and "Acme Hosting" in page and "Kedai Hosting" in page
    for private in ("aisyah@example.com", "Nur Aisyah", "raj@example.org", "Raj Kumar"):
        assert private not in page


def test_a_breach_reaching_listed_customers_only(app, admin) -> None:
    emails = "  AISYAH@example.com \n\nraj@example.org\nraj@example.org\n"
    acme, kedai = str(shop_id(app, "acme")), str(shop_id(app, "kedai"))
    breach_id = created(app, admin, customers="listed", emails=emails, shops=[acme, kedai, acme])
    with app.app_context():
        rows = set(db.session.execute(select(BreachCustomer.customer_id, BreachCustomer.reseller_id)).all())
    assert rows == {
        (customer_id(app, "acme"), shop_id(app, "acme")),
        (customer_id(app, "kedai"), shop_id(app, "kedai")),
    }
    assert breach_id


def test_a_listed_email_of_no_chosen_shop_saves_nothing(app, admin) -> None:
    emails = "aisyah@example.com\nweiming@example.net\nnobody@example.com\nnot an email"
    response = create(admin, breach_form(app, customers="listed", emails=emails))
    assert response.status_code == 400
    text = unescape(response.text)
    for line in ("weiming@example.net", "nobody@example.com", "not an email"):
        assert f"No customer of the selected shops has this email: {line}" in text
    assert "has this email: aisyah@example.com" not in text
    assert counts(app) == (0, 0, 0)


def test_a_refused_email_list_leaves_a_trace_by_counts_only(app, admin) -> None:
    """Which lines a refusal names tells who is a customer, so the refusal is audited; never its emails."""
    emails = "aisyah@example.com\nraj@example.org\nnobody@example.com\nraj@example.org"
    assert create(admin, breach_form(app, customers="listed", emails=emails)).status_code == 400
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.actor, AuditEntry.reseller_id, AuditEntry.reason, AuditEntry.customer_id).where(
                AuditEntry.action == "breach_list_refused"
            )
        ).all()
    assert {row.reseller_id for row in rows} == {shop_id(app, "acme"), shop_id(app, "kedai")}
    for row in rows:
        assert row.actor == f"staff:{staff_id(app)}" and row.customer_id is None
        assert row.reason == "3 emails listed, 1 match no customer; nothing saved"
    assert counts(app) == (0, 0, 0)
    found = admin.get("/staff/audit?action=breach_list_refused").text
    assert "<strong>2</strong> entries" in found and "example.com" not in found


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Enter a title."),
        ({"discovered_at": ""}, "Enter when the breach was discovered."),
        ({"discovered_at": "yesterday"}, "Enter a date and time"),
        ({"discovered_at": local(-3)}, "This cannot be in the future."),
        ({"discovered_at": "0001-01-01T00:00"}, "Enter a date from 1990 on."),
        ({"occurred_at": local(1)}, "cannot have happened after it was discovered"),
        ({"scope": " "}, "Enter what happened"),
        ({"data_categories": ""}, "Enter which kinds of personal data"),
        ({"measures": ""}, "Enter what was done."),
        ({"shops": []}, "Choose at least one affected shop."),
        ({"shops": ["999999"]}, "Choose the shops from the list."),
        ({"customers": "some"}, "Choose all customers of the shops, or only those listed."),
        ({"customers": "listed"}, "List at least one customer email"),
        ({"scope": "Our host WebServer was attacked."}, "customers must never learn who hosts the shop"),
        ({"measures": "Call +603 2770 2833 for help."}, "customers must never learn who hosts the shop"),
        ({"data_categories": "Logins at webserver.com.my"}, "customers must never learn who hosts the shop"),
    ],
)
def test_bad_input_answers_400_and_saves_nothing(app, admin, changes: dict, message: str) -> None:
    response = create(admin, breach_form(app, **changes))
    assert response.status_code == 400 and message in unescape(response.text)
    assert "Nothing was saved" in response.text
    assert counts(app) == (0, 0, 0)


def test_a_post_without_csrf_token_changes_nothing(app, admin) -> None:
    assert admin.post(NEW, data=breach_form(app)).status_code == 400
    breach_id = created(app, admin)
    assert admin.post(f"/staff/breaches/{breach_id}/send-notices").status_code == 400
    assert admin.post(f"/staff/breaches/{breach_id}/notify-commissioner").status_code == 400
    assert outbox(app, kind="breach_notice") == []
    assert counts(app)[0] == 1


def test_the_deadline_shows_the_hours_left(app, admin) -> None:
    breach_id = created(app, admin, discovered_at=local(2), occurred_at="")
    deadline = (datetime.now(KL) - timedelta(hours=2) + timedelta(hours=72)).strftime("%-d %b %Y, %H:%M")
    page = admin.get(f"/staff/breaches/{breach_id}").text
    assert "70 hours left" in page and f"Commissioner deadline: {deadline}" in page
    assert "70 hours left" in admin.get("/staff/breaches").text


def test_a_breach_discovered_80_hours_ago_is_overdue(app, admin) -> None:
    breach_id = created(app, admin, discovered_at=local(80), occurred_at="")
    assert "OVERDUE by 8 hours" in admin.get(f"/staff/breaches/{breach_id}").text
    assert "OVERDUE by 8 hours" in admin.get("/staff/breaches").text


def test_the_deadline_is_72_hours_whichever_zone_shows_it() -> None:
    """01:30 on 1 March in Kuala Lumpur (UTC+8, no daylight saving) is 17:30 UTC on 28 February."""
    breach = Breach(discovered_at=datetime(2026, 3, 1, 1, 30, tzinfo=KL).astimezone(UTC))
    assert deadline(breach) == datetime(2026, 3, 3, 17, 30, tzinfo=UTC)
    assert f"{deadline(breach).astimezone(KL):%-d %b %Y, %H:%M}" == "4 Mar 2026, 01:30"
    assert deadline_state(breach, deadline(breach) - timedelta(minutes=1), KL) == "1 hour left"
    assert deadline_state(breach, deadline(breach), KL) == "OVERDUE by less than an hour"
    assert deadline_state(breach, deadline(breach) + timedelta(hours=25), KL) == "OVERDUE by 25 hours"


def test_the_commissioner_is_notified_once(app, admin) -> None:
    breach_id = created(app, admin, discovered_at=local(80), occurred_at="")
    path = f"/staff/breaches/{breach_id}/notify-commissioner"
    page = f"/staff/breaches/{breach_id}"
    assert post(admin, path, {"notified_at": local(-1)}, page).status_code == 400
    assert post(admin, path, {"notified_at": local(81)}, page).status_code == 400
    response = post(admin, path, {"notified_at": local(1), "reference": "PDP-2026-0007"}, page)
    assert response.status_code == 303
    shown = admin.get(page).text
    assert f"Commissioner notified {(datetime.now(KL) - timedelta(hours=1)):%-d %b %Y, %H:%M}" in shown
    assert "7 hours after the deadline" in shown
    assert "PDP-2026-0007" in shown and "OVERDUE" not in shown
    again = post(admin, path, {"reference": "PDP-2026-0008"}, page)
    assert again.status_code == 409
    with app.app_context():
        breach = db.session.get(Breach, breach_id)
        assert breach.commissioner_reference == "PDP-2026-0007"
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "notify_commissioner")) == 1


@pytest.mark.parametrize(
    ("notified_at", "reference", "message"),
    [
        ("next tuesday", "", "Enter a date and time"),
        (-1, "", "This cannot be in the future."),
        (81, "", "The Commissioner cannot have been told before the breach was discovered."),
        ("1989-12-31T23:59", "", "Enter a date from 1990 on."),
        ("", "PDP\x00-2026", "Remove the invisible control characters"),
        ("", "P" * 121, "120 characters"),
    ],
)
def test_a_bad_commissioner_notification_answers_400_and_saves_nothing(
    app, admin, notified_at: str | int, reference: str, message: str
) -> None:
    breach_id = created(app, admin, discovered_at=local(80), occurred_at="")
    when = local(notified_at) if isinstance(notified_at, int) else notified_at
    page = f"/staff/breaches/{breach_id}"
    data = {"notified_at": when, "reference": reference}
    response = post(admin, f"{page}/notify-commissioner", data, page)
    assert response.status_code == 400 and message in unescape(response.text)
    with app.app_context():
        breach = db.session.get(Breach, breach_id)
        assert breach.commissioner_notified_at is None and not breach.commissioner_reference
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "notify_commissioner")) == 0
    assert "OVERDUE by 8 hours" in admin.get(page).text


def test_notices_go_once_to_each_affected_customer_from_their_shop(app, admin) -> None:
    breach_id = created(app, admin, scope=SCOPE + " <b>not bold</b>")
    affected = active_customers(app, "acme", "kedai")
    response = post(admin, f"/staff/breaches/{breach_id}/send-notices", page=f"/staff/breaches/{breach_id}")
    assert response.status_code == 303
    assert f"{len(affected)} notices queued, 0 already sent" in admin.get(f"/staff/breaches/{breach_id}").text
    messages = outbox(app, kind="breach_notice")
    assert len(messages) == len(affected)
    to_aisyah = [m for m in messages if m.to_address == "aisyah@example.com"]
    assert len(to_aisyah) == 1
    message = to_aisyah[0]
    assert message.from_address == "Acme Hosting <support@acme-hosting.test>"
    assert message.reply_to == "support@acme-hosting.test"
    assert (
        "Hello Nur Aisyah" in message.text_body
        and SCOPE in message.text_body
        and MEASURES in message.text_body
    )
    assert "&lt;b&gt;not bold&lt;/b&gt;" in message.html_body
    assert link_in(message, "/account/privacy").endswith("://shop.acme-hosting.test/account/privacy")
    for sent in messages:
        assert not find_leaks(app.config, build_email(sent).as_string()), sent.to_address
    kedai = next(m for m in messages if m.to_address == "raj@example.org")
    assert kedai.from_address.startswith("Kedai Hosting <") and "Acme" not in kedai.text_body
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(BreachCustomer.notified_at.is_(None))) == 0

    again = post(admin, f"/staff/breaches/{breach_id}/send-notices", page=f"/staff/breaches/{breach_id}")
    assert again.status_code == 303
    assert f"0 notices queued, {len(affected)} already sent" in admin.get(f"/staff/breaches/{breach_id}").text
    assert len(outbox(app, kind="breach_notice")) == len(affected)


def test_a_closed_account_is_told_and_one_anonymised_since_is_not(app, admin) -> None:
    """A closed account's data is kept until the purge and was reached, so it is told; an anonymised one
    has no data and no address left to tell."""
    closed = add_customer(app, "acme", "closed@example.com")
    purged = add_customer(app, "acme", "purged@example.com")
    with app.app_context():
        db.session.get(Customer, closed).closed_at = utcnow()
        db.session.commit()
    breach_id = created(app, admin, shops=[str(shop_id(app, "acme"))])
    with app.app_context():
        customer = db.session.get(Customer, purged)
        customer.closed_at = customer.anonymised_at = utcnow()
        db.session.commit()
    post(admin, f"/staff/breaches/{breach_id}/send-notices", page=f"/staff/breaches/{breach_id}")
    sent = [message.to_address for message in outbox(app, kind="breach_notice")]
    assert sent.count("closed@example.com") == 1 and "purged@example.com" not in sent
    assert len(sent) == len(set(sent)) == len(active_customers(app, "acme"))


def anonymise(app, customer: int) -> None:
    with app.app_context():
        found = db.session.get(Customer, customer)
        found.closed_at = found.anonymised_at = utcnow()
        db.session.commit()


def test_customers_anonymised_before_notice_are_counted_apart_so_nothing_waits_forever(
    app, admin, count_queries
) -> None:
    """Someone anonymised after the breach was recorded and before being told can never be told."""
    purged = [add_customer(app, "acme", f"purged{n}@example.com") for n in range(2)]
    told = add_customer(app, "acme", "told@example.com")
    first = created(app, admin, customers="listed", emails="aisyah@example.com\ntold@example.com")
    with count_queries() as before:
        admin.get(f"/staff/breaches/{first}")
    post(admin, f"/staff/breaches/{first}/send-notices", page=f"/staff/breaches/{first}")
    anonymise(app, told)
    path = f"/staff/breaches/{created(app, admin, shops=[str(shop_id(app, 'acme'))])}"
    reached = len(active_customers(app, "acme"))
    for customer in purged:
        anonymise(app, customer)
    with count_queries() as after:
        page = admin.get(path).text
    assert len(after) == len(before)
    assert f"<td>Acme Hosting</td><td>{reached}</td><td>0</td><td>2</td><td>{reached - 2}</td>" in page
    assert "Anonymised before notice" in page and f"({reached - 2} waiting)" in page
    assert "purged0@example.com" not in page
    listing = admin.get("/staff/breaches").text
    assert f"0 sent · {reached - 2} pending · 2 anonymised before notice" in listing
    # Told before being anonymised: counted as told, not as anonymised before notice.
    assert "2 sent · 0 pending</td>" in listing

    post(admin, f"{path}/send-notices", page=path)
    page = admin.get(path).text
    assert f"<td>{reached}</td><td>{reached - 2}</td><td>2</td><td>0</td>" in page
    assert " disabled>Send the notices (0 waiting)</button>" in page
    assert f"{reached - 2} sent · 0 pending · 2 anonymised before notice" in admin.get("/staff/breaches").text


def test_the_preview_is_the_shops_own_notice(app, admin) -> None:
    breach_id = created(app, admin)
    page = admin.get(f"/staff/breaches/{breach_id}").text
    acme = shop_id(app, "acme")
    assert f"/staff/breaches/{breach_id}/notice/{acme}" in page
    preview = admin.get(f"/staff/breaches/{breach_id}/notice/{acme}")
    assert (
        preview.status_code == 200 and "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    )
    html = unescape(preview.text)
    assert "Acme Hosting" in html and "Hello [customer's name]" in html and SCOPE in html
    assert "support@acme-hosting.test" in html and "://shop.acme-hosting.test/account/privacy" in html
    text = admin.get(f"/staff/breaches/{breach_id}/notice/{acme}?part=text").text
    assert text.startswith("Subject: Important: your personal data at Acme Hosting") and MEASURES in text
    assert not find_leaks(app.config, preview.text, text)
    assert admin.get(f"/staff/breaches/{breach_id}/notice/{shop_id(app, 'bluewave')}").status_code == 404
    assert admin.get("/staff/breaches/999999").status_code == 404


def test_the_register_counts_shops_customers_and_notices(app, admin, count_queries) -> None:
    first = created(app, admin, customers="listed", emails="aisyah@example.com")
    created(app, admin, title="Second incident", discovered_at=local(80), occurred_at="")
    with count_queries() as few:
        listing = admin.get("/staff/breaches").text
    assert "Second incident" in listing and "0 sent · 1 pending" in listing
    post(admin, f"/staff/breaches/{first}/send-notices", page=f"/staff/breaches/{first}")
    assert "1 sent · 0 pending" in admin.get("/staff/breaches").text
    for n in range(6):
        created(app, admin, title=f"Incident {n}")
    with count_queries() as many:
        assert "Incident 5" in admin.get("/staff/breaches").text
    assert len(many) == len(few)
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEntry.record == "breaches:page-1")) >= 3


@pytest.mark.parametrize("role", [StaffRole.SUPPORT, StaffRole.BILLING])
def test_only_admins_reach_the_breach_register(app, demo, client_for, make_staff, role: StaffRole) -> None:
    admin = staff_client(client_for, make_staff, StaffRole.ADMIN, email="admin@platform.test")
    breach_id = created(app, admin)
    client = staff_client(client_for, make_staff, role)
    for path in (
        "/staff/breaches",
        NEW,
        f"/staff/breaches/{breach_id}",
        f"/staff/breaches/{breach_id}/notice/1",
    ):
        assert client.get(path).status_code == 403, path
    token = csrf_from(client.get("/staff/security").text)
    for path in (
        NEW,
        f"/staff/breaches/{breach_id}/send-notices",
        f"/staff/breaches/{breach_id}/notify-commissioner",
    ):
        assert client.post(path, data={**breach_form(app), "csrf_token": token}).status_code == 403, path
    assert counts(app)[0] == 1 and outbox(app, kind="breach_notice") == []
    assert not re.search(r"/staff/breaches\b", client.get("/staff/security").text)


def test_the_breach_page_costs_the_same_queries_however_many_customers(app, admin, count_queries) -> None:
    few = breach_reaching(app, "acme")
    for n in range(12):
        add_customer(app, "acme", f"extra{n}@example.com")
    many = breach_reaching(app, "acme", "kedai")
    with count_queries() as small:
        admin.get(f"/staff/breaches/{few}")
    with count_queries() as large:
        page = admin.get(f"/staff/breaches/{many}").text
    assert len(large) == len(small)
    assert f"<td>Acme Hosting</td><td>{len(active_customers(app, 'acme'))}</td><td>0</td>" in page
    assert "extra1@example.com" not in page and "Extra Person" not in page


def test_a_long_list_of_unknown_emails_is_summed_up(app, admin) -> None:
    emails = "\n".join(f"stranger{n}@example.com" for n in range(25))
    response = create(admin, breach_form(app, customers="listed", emails=emails))
    assert response.status_code == 400
    problems = response.text.split('role="alert"')[1].split("</div>")[0]
    assert "stranger19@example.com" in problems and "stranger20@example.com" not in problems
    assert "and 5 more lines that match no customer" in problems
    assert counts(app) == (0, 0, 0)
