"""The shop's versioned privacy notice: the public page, acceptance at sign-up, and returning customers
asked to read a new version."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Customer, NoticeAcceptance, PrivacyNotice, Reseller, Service, utcnow
from storefront.privacy.privacy_notice import publish_notice
from tests.leakguard import find_leaks
from tests.shop.helpers import csrf_from, post_form, sign_in
from tests.steps import buy_and_pay

ACME = "acme.localhost"
NEW_BODY = (
    "We now also keep the IP address each payment comes from, to stop card fraud.\n\n"
    "Everything else stays as it was. " + "We look after your data carefully. " * 6
)


def _publish(
    app, slug: str = "acme", body: str = NEW_BODY, changes: str = "We keep payment IP addresses."
) -> None:
    with app.app_context():
        reseller = db.session.scalar(select(Reseller).where(Reseller.slug == slug))
        publish_notice(reseller, body, changes, "system")
        db.session.commit()


def _acceptances(app, email: str) -> list[NoticeAcceptance]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(NoticeAcceptance)
                .join(Customer, Customer.id == NoticeAcceptance.customer_id)
                .where(Customer.email == email)
                .order_by(NoticeAcceptance.id)
            )
        )
        db.session.expunge_all()
        return rows


def _customer(app, email: str, slug: str = "acme") -> Customer | None:
    with app.app_context():
        customer = db.session.scalar(
            select(Customer).join(Reseller).where(Reseller.slug == slug, Customer.email == email)
        )
        db.session.expunge_all()
        return customer


def _sign_up(client, email: str, **extra):
    form = {"name": "Siti Rahmah", "email": email, "password": "a good long password"}
    return post_form(client, "/signup", {**form, **extra})


def test_the_public_notice_shows_its_version_and_the_shop_as_responsible(app, demo, client_for) -> None:
    html = client_for(ACME).get("/privacy").text
    assert "Version 1, published" in html
    assert "<strong>Acme Hosting Sdn. Bhd.</strong>, trading as Acme Hosting" in html
    assert "Domain registries, for the domains you register through us" in html
    assert "privacy centre at /account/privacy" in html
    assert "support@acme-hosting.test" in html
    assert not find_leaks(app.config, html)


def test_a_shop_that_published_nothing_shows_the_default_notice_as_version_1(
    make_reseller, client_for
) -> None:
    make_reseller("fresh", legal_name="Fresh Web Enterprise")
    html = client_for("fresh.localhost").get("/privacy").text
    assert "Version 1, published" in html
    assert "<strong>Fresh Web Enterprise</strong>" in html
    assert "see the personal data we hold about you and to have it corrected" in html


def test_a_new_version_shows_at_once_although_the_page_was_cached(app, demo, client_for) -> None:
    visitor = client_for(ACME)
    first = visitor.get("/privacy").text
    assert visitor.get("/privacy").text == first  # served from the page cache
    _publish(app)
    html = visitor.get("/privacy").text
    assert "Version 2, published" in html and "IP address each payment comes from" in html
    assert "Domain registries, for the domains" not in html


def test_the_notice_text_is_shown_as_text_never_as_markup(app, demo, client_for) -> None:
    body = (
        "<script>alert(1)</script> and {{7*7}} and <img src=x onerror=alert(2)>\n"
        '<a href="javascript:alert(3)" hx-get="/logout" hx-trigger="load">second line</a>\n\n'
        + "Plain words to make the notice long enough. "
        * 5
    )
    _publish(app, body=body, changes="<b>Bold</b> {{7*7}}")
    html = client_for(ACME).get("/privacy").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "{{7*7}}" in html and "49" not in html.split("notice-text")[1].split("How to reach us")[0]
    assert "<img src=x" not in html and '<a href="javascript' not in html
    assert "onerror=alert(2)&gt;<br>" in html  # lines of a paragraph keep their breaks
    client = client_for(ACME)
    sign_in(client, "aisyah@example.com")
    review = client.get("/account/privacy/notice").text
    assert "&lt;b&gt;Bold&lt;/b&gt; {{7*7}}" in review and "<b>Bold" not in review
    assert "&lt;script&gt;" in review and "<script>alert" not in review


def test_sign_up_without_ticking_the_notice_box_opens_no_account(app, demo, client_for) -> None:
    client = client_for(ACME)
    page = client.get("/signup").text
    assert 'type="checkbox"' in page and 'href="/privacy"' in page
    assert "I have read the" in page
    response = _sign_up(client, "untick@example.com")
    assert response.status_code == 400
    assert "Please read the privacy notice and tick the box" in response.text
    assert _customer(app, "untick@example.com") is None


def test_sign_up_records_the_accepted_version_and_when(app, demo, client_for) -> None:
    _publish(app)
    before = utcnow()
    response = _sign_up(client_for(ACME), "siti@example.com", privacy_notice="y")
    assert response.status_code == 302
    customer = _customer(app, "siti@example.com")
    assert customer.privacy_notice_version == 2
    [acceptance] = _acceptances(app, "siti@example.com")
    assert acceptance.version == 2 and acceptance.customer_id == customer.id
    assert before - timedelta(seconds=1) <= acceptance.created_at <= utcnow()
    assert acceptance.request_id


def test_sign_up_with_a_known_email_records_nothing_for_that_account(app, demo, client_for) -> None:
    known = _sign_up(client_for(ACME), "aisyah@example.com", privacy_notice="y")
    unknown = _sign_up(client_for(ACME), "someone-new@example.com", privacy_notice="y")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert [row.version for row in _acceptances(app, "aisyah@example.com")] == [1]  # from the demo


def test_a_returning_customer_is_asked_to_read_a_new_version(app, demo, client_for) -> None:
    _publish(app)
    client = client_for(ACME)
    token = csrf_from(client.get("/login").text)
    data = {"email": "aisyah@example.com", "password": "storefront-demo", "csrf_token": token}
    signed_in = client.post("/login?next=/account/orders", data=data)
    assert signed_in.headers["Location"] == "/account/privacy/notice?next=/account/orders"
    review = client.get(signed_in.headers["Location"]).text
    token = csrf_from(review)
    assert "We keep payment IP addresses." in review  # what changed
    assert "IP address each payment comes from" in review  # the full notice
    assert "I have read it" in review
    for page in ("/account", "/account/orders", "/account/tickets", "/account/profile"):
        html = client.get(page).text
        assert "We have updated our privacy notice." in html, page
    accepted = client.post("/account/privacy/notice", data={"csrf_token": token, "next": "/account/orders"})
    assert accepted.status_code == 303 and accepted.headers["Location"] == "/account/orders"
    [old, new] = _acceptances(app, "aisyah@example.com")
    assert (old.version, new.version) == (1, 2)
    assert _customer(app, "aisyah@example.com").privacy_notice_version == 2
    assert "We have updated our privacy notice." not in client.get("/account").text
    again = client.post("/account/privacy/notice", data={"csrf_token": token})
    assert again.status_code == 303 and len(_acceptances(app, "aisyah@example.com")) == 2


def test_being_asked_never_blocks_support_or_checkout(app, demo, client_for) -> None:
    _publish(app)
    client = client_for(ACME)
    sign_in(client, "aisyah@example.com")
    token = csrf_from(client.get("/account/tickets/new").text)
    opened = client.post(
        "/account/tickets/new", data={"subject": "Help", "body": "Please", "csrf_token": token}
    )
    assert opened.status_code in (302, 303) and "/account/tickets/" in opened.headers["Location"]
    buy_and_pay(client, "starter", "still-buying.com")
    with app.app_context():
        assert db.session.scalar(select(Service.id).where(Service.domain == "still-buying.com"))
    review = client.get("/account/privacy/notice?next=/account/tickets").text
    assert '<a href="/account/tickets">Carry on</a>' in review  # go on without accepting
    assert _customer(app, "aisyah@example.com").privacy_notice_version == 1


def test_an_up_to_date_customer_signs_in_straight_through(app, demo, client_for) -> None:
    client = client_for(ACME)
    assert sign_in(client, "aisyah@example.com").headers["Location"] == "/account"
    assert "We have updated our privacy notice." not in client.get("/account").text
    page = client.get("/account/privacy/notice").text
    assert "You have read the current version" in page and "I have read it" not in page


def test_the_review_page_keeps_next_on_this_shop(app, demo, client_for) -> None:
    _publish(app)
    client = client_for(ACME)
    sign_in(client, "aisyah@example.com")
    token = csrf_from(client.get("/account").text)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        page = client.get("/account/privacy/notice", query_string={"next": target}).text
        assert '<a href="/account">Carry on</a>' in page and "evil" not in page, target
    response = client.post("/account/privacy/notice", data={"csrf_token": token, "next": "//evil.example/"})
    assert response.headers["Location"] == "/account"


def test_a_next_with_line_breaks_or_control_characters_goes_to_the_account(app, demo, client_for) -> None:
    client = client_for(ACME)
    sign_in(client, "aisyah@example.com")
    token = csrf_from(client.get("/account").text)
    for target in ("/account\r\nSet-Cookie: x=1", "/\n/evil.example", "/orders\x00", "/a\x7fb"):
        response = client.post("/account/privacy/notice", data={"csrf_token": token, "next": target})
        assert (response.status_code, response.headers["Location"]) == (303, "/account"), repr(target)
    signing_in = client_for(ACME)
    response = post_form(
        signing_in,
        "/login",
        {"email": "aisyah@example.com", "password": "storefront-demo", "next": "/account\r\nX-Evil: 1"},
    )
    assert (response.status_code, response.headers["Location"]) == (302, "/account")


def test_the_review_needs_a_signed_in_customer_and_a_csrf_token(app, demo, client_for) -> None:
    visitor = client_for(ACME)
    assert visitor.get("/account/privacy/notice").headers["Location"].startswith("/login")
    _publish(app)
    client = client_for(ACME)
    sign_in(client, "aisyah@example.com")
    assert client.post("/account/privacy/notice").status_code == 400
    assert [row.version for row in _acceptances(app, "aisyah@example.com")] == [1]


def test_another_shops_new_version_is_not_asked_for_here(app, demo, client_for) -> None:
    _publish(app, slug="kedai")
    client = client_for(ACME)
    assert sign_in(client, "aisyah@example.com").headers["Location"] == "/account"
    assert "Version 1, published" in client_for(ACME).get("/privacy").text
    assert "Version 2, published" in client_for("kedai.localhost").get("/privacy").text


def test_demo_notices_say_what_a_notice_must_and_never_name_the_platform(app, demo) -> None:
    with app.app_context():
        rows = db.session.execute(
            select(Reseller.legal_name, Reseller.support_email, PrivacyNotice.body).join(
                PrivacyNotice, PrivacyNotice.reseller_id == Reseller.id
            )
        ).all()
    assert len(rows) == 3
    for legal_name, support_email, body in rows:
        assert f"{legal_name} collects as the data user" in body
        for promise in ("name and email", "order details", "Domain registries", "Payment processors"):
            assert promise in body
        assert "when the law requires" in body and "/account/privacy" in body and support_email in body
        assert "months" in body  # how long closed accounts are kept
        assert not find_leaks(app.config, body)


def test_seed_demo_gives_older_demo_shops_their_notice(app, demo) -> None:
    with app.app_context():
        db.session.execute(NoticeAcceptance.__table__.delete())
        db.session.execute(PrivacyNotice.__table__.delete())
        db.session.execute(Customer.__table__.update().values(privacy_notice_version=0))
        db.session.commit()
    output = app.test_cli_runner().invoke(args=["seed-demo", "--no-history"]).output
    assert "privacy notice of kedai" in output
    assert [row.version for row in _acceptances(app, "raj@example.org")] == [1]
    assert _customer(app, "raj@example.org", "kedai").privacy_notice_version == 1
    again = app.test_cli_runner().invoke(args=["seed-demo", "--no-history"]).output
    assert "privacy notice" not in again
    assert len(_acceptances(app, "raj@example.org")) == 1
