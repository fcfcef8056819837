"""The privacy centre: sections, access log, marketing consent, corrections, closing the account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from storefront.extensions import db
from storefront.identity.tokens import issue_token
from storefront.models import (
    AccountToken,
    AuditEntry,
    ConsentEvent,
    CorrectionOutcome,
    CorrectionRequest,
    CorrectionStatus,
    Customer,
    Disclosure,
    LegalBasis,
    Reseller,
    TeamMember,
    Ticket,
    TokenPurpose,
    utcnow,
)
from storefront.privacy import privacy_centre as centre
from tests.leakguard import find_leaks
from tests.shop.helpers import DEMO_PASSWORD, csrf_from, outbox, post_form, sign_in
from tests.shop.privacy_support import (
    ACME,
    AISYAH,
    HOSTILE,
    KEDAI,
    add_customer,
    add_purchases,
    post_privacy,
    signed_in,
)
from tests.staff.escalation_helpers import open_for, post, staff_client, staff_id
from tests.steps import customer_id, customer_number, number_of, owner_client

SECTIONS = ["Your data", "Your details", "Corrections", "Who has seen your data", "Disclosures", "Marketing"]


@pytest.fixture
def aisyah(demo, client_for):
    return signed_in(client_for)


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_page_has_every_section_and_a_tab(aisyah) -> None:
    page = aisyah.get("/account/privacy")
    assert page.status_code == 200
    for heading in [*SECTIONS, "Close your account"]:
        assert f">{heading}</h2>" in page.text
    assert 'href="/account/privacy/export"' in page.text and 'href="/account/profile"' in page.text
    assert 'href="/account/privacy" aria-current="page">Privacy<' in page.text
    assert "Privacy</a>" in aisyah.get("/account").text


@pytest.mark.parametrize("path", ["/account/privacy", "/account/privacy/export", "/account/privacy?page=2"])
def test_signed_out_visitors_are_sent_to_sign_in(demo, client_for, path) -> None:
    response = client_for(ACME).get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/account/privacy/consent",
        "/account/privacy/corrections",
        "/account/privacy/close",
        "/account/privacy/corrections/{id}/withdraw",
    ],
)
def test_posts_without_a_csrf_token_are_refused(app, aisyah, path) -> None:
    asked = _ask(app, aisyah) if "{id}" in path else None
    response = aisyah.post(
        path.format(id=asked and number_of(app, CorrectionRequest, asked)),
        data={"granted": "yes", "record": "other", "details": "x" * 20},
    )
    assert response.status_code == 400
    assert _count(app, ConsentEvent) == 0
    assert _count(app, CorrectionRequest, CorrectionRequest.status == CorrectionStatus.OPEN) == (
        1 if asked else 0
    )
    assert _count(app, CorrectionRequest) == (1 if asked else 0)
    with app.app_context():
        assert db.session.scalar(select(Customer.closed_at).where(Customer.email == AISYAH)) is None


# Who has seen your data


def test_a_team_members_view_is_listed_under_their_name(app, aisyah, client_for) -> None:
    me = customer_number(app)
    owner_client(client_for).get(f"/console/customers/{me}")
    page = aisyah.get("/account/privacy").text
    log = page.split('id="access-log"')[1].split("</section>")[0]
    assert "Farid Hassan" in log and "viewed your customer record" in log


def test_a_removed_team_member_is_still_named(app, aisyah, client_for) -> None:
    me = customer_number(app)
    owner_client(client_for, email="agent@acme-hosting.test").get(f"/console/customers/{me}")
    with app.app_context():
        agent = db.session.scalar(select(TeamMember).where(TeamMember.email == "agent@acme-hosting.test"))
        agent.removed_at = utcnow()
        db.session.commit()
    assert "Siti Rahman" in aisyah.get("/account/privacy").text


def test_a_staff_escalation_view_shows_only_the_persona(app, aisyah, client_for, make_staff) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    staff = staff_client(client_for, make_staff)
    assert staff.get(f"/staff/escalations/{ticket_id}").status_code == 200
    page = aisyah.get("/account/privacy").text
    log = page.split('id="access-log"')[1].split("</section>")[0]
    assert "Acme Escalations Team" in log and f"viewed ticket #{number_of(app, Ticket, ticket_id)}" in log
    assert "working on your escalated ticket" in log
    assert "Ops Person" not in page and "ops@platform.test" not in page and "staff" not in log.lower()
    assert not find_leaks(app.config, page)


def test_staff_actions_never_show_their_reasons(app, aisyah, client_for, make_staff) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    staff = staff_client(client_for, make_staff)
    me = staff_id(app)
    post(staff, f"/staff/escalations/{ticket_id}/assign", {"assignee": str(me)})
    with app.app_context():
        reasons = db.session.scalars(select(AuditEntry.reason).where(AuditEntry.action == "assign"))
        assert "Ops Person" in " ".join(reasons)
    page = aisyah.get("/account/privacy").text
    assert f"assigned ticket #{number_of(app, Ticket, ticket_id)}" in page and "Ops Person" not in page


def test_the_log_holds_only_team_and_staff_entries_about_me(app, aisyah, client_for) -> None:
    raj = customer_number(app, "raj@example.org", "kedai")
    owner_client(client_for, KEDAI).get(f"/console/customers/{raj}")
    aisyah.post("/account/profile", data={"name": "Nur Aisyah Binti Ali", "csrf_token": _token(aisyah)})
    page = aisyah.get("/account/privacy").text
    assert "Nobody at Acme Hosting has opened your data yet." in page


def _token(client) -> str:
    return csrf_from(client.get("/account/privacy").text)


def _entries(app, me: int, count: int) -> None:
    with app.app_context():
        owner = db.session.scalar(select(TeamMember.id).where(TeamMember.email == "owner@acme-hosting.test"))
        agent = db.session.scalar(select(TeamMember.id).where(TeamMember.email == "agent@acme-hosting.test"))
        shop = db.session.scalar(select(Customer.reseller_id).where(Customer.id == me))
        for index in range(count):
            actor = f"team:{owner if index % 2 else agent}"
            entry = AuditEntry(
                actor=actor,
                reseller_id=shop,
                record=f"ticket:{index}",
                action="view",
                reason=f"look {index}",
                customer_id=me,
            )
            db.session.add(entry)
        db.session.commit()


def test_the_log_is_paged_newest_first(app, aisyah) -> None:
    _entries(app, customer_id(app), 51)
    first = aisyah.get("/account/privacy").text
    assert "look 50<" in first and "look 0<" not in first and "Page 1 of 2" in first
    second = aisyah.get("/account/privacy?page=2").text
    assert "look 0<" in second and "look 50<" not in second


@pytest.mark.parametrize(
    ("page", "message"), [("abc", "whole number"), ("0", "whole number"), ("3", "no page 3")]
)
def test_a_bad_page_of_the_log_is_refused(app, aisyah, page, message) -> None:
    _entries(app, customer_id(app), 51)
    response = aisyah.get(f"/account/privacy?page={page}")
    assert response.status_code == 400 and message in response.text


def test_the_page_costs_the_same_queries_however_long_the_log(app, aisyah, count_queries) -> None:
    me = customer_id(app)
    _entries(app, me, 1)
    add_purchases(app, me, 1)
    with count_queries() as few:
        assert aisyah.get("/account/privacy").status_code == 200
    _entries(app, me, 40)
    add_purchases(app, me, 4, tag="more")
    with count_queries() as many:
        assert aisyah.get("/account/privacy").status_code == 200
    assert len(many) == len(few)


# Marketing consent


def test_marketing_is_off_until_given_and_keeps_its_history(app, aisyah) -> None:
    page = aisyah.get("/account/privacy").text
    assert "Acme Hosting does not send you news or offers" in page and 'value="yes"' in page
    given = post_privacy(aisyah, "/account/privacy/consent", {"granted": "yes"})
    assert given.status_code == 303 and given.headers["Location"].endswith("/account/privacy#marketing")
    page = aisyah.get("/account/privacy").text
    assert "may send you news and offers" in page and "agreed to marketing" in page
    again = post_privacy(aisyah, "/account/privacy/consent", {"granted": "yes"})
    assert again.status_code == 303 and "No change" in aisyah.get("/account/privacy").text
    post_privacy(aisyah, "/account/privacy/consent", {"granted": "no"})
    page = aisyah.get("/account/privacy").text
    assert "withdrew from marketing" in page and "agreed to marketing" in page
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.email == AISYAH))
        events = list(db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.id)))
        assert customer.marketing_consent is False
        assert [e.granted for e in events] == [True, False]
        assert {(e.purpose, e.source) for e in events} == {("marketing", "privacy centre")}
        assert all(e.request_id and e.notice_version == customer.privacy_notice_version for e in events)


def test_a_consent_given_twice_at_once_is_recorded_once(app, aisyah) -> None:
    me = customer_id(app)
    with app.app_context():
        shop = db.session.get(Reseller, db.session.get(Customer, me).reseller_id)
        first_click_read = db.session.get(Customer, me)
        # The second click saves the consent while the first is still on its way.
        db.session.execute(
            text("UPDATE customer SET marketing_consent = :on WHERE id = :id"), {"on": True, "id": me}
        )
        assert centre.set_marketing_consent(shop, first_click_read, True) is False
        db.session.rollback()
    assert _count(app, ConsentEvent) == 0


@pytest.mark.parametrize("value", ["", "maybe", "YES!", "1"])
def test_a_bad_consent_answer_is_refused(app, aisyah, value) -> None:
    response = post_privacy(aisyah, "/account/privacy/consent", {"granted": value})
    assert response.status_code == 400 and "Please answer yes or no." in response.text
    assert _count(app, ConsentEvent) == 0


# Corrections


def test_asking_for_a_correction_starts_the_21_day_clock_and_tells_the_team(app, aisyah) -> None:
    [bought] = add_purchases(app, customer_id(app), 1)
    page = aisyah.get("/account/privacy").text
    assert f'value="invoice:{bought["number"]}"' in page and f'value="order:{bought["order_number"]}"' in page
    asked = post_privacy(
        aisyah,
        "/account/privacy/corrections",
        {"record": f"invoice:{bought['number']}", "details": "The name should read Nur Aisyah Binti Ali."},
    )
    assert asked.status_code == 303
    with app.app_context():
        request = db.session.scalar(select(CorrectionRequest))
        assert request.status == CorrectionStatus.OPEN and request.record == f"invoice:{bought['number']}"
        assert abs(request.due_at - (request.created_at + timedelta(days=21))) < timedelta(seconds=1)
    page = aisyah.get("/account/privacy").text
    assert "We have your request and will answer by" in page and "Waiting for us" in page
    assert "The name should read Nur Aisyah Binti Ali." in page and "INV-" in page
    emails = outbox(app, kind="team_correction_request")
    assert {m.to_address for m in emails} == {"owner@acme-hosting.test", "agent@acme-hosting.test"}
    assert "Nur Aisyah Binti Ali" in emails[0].text_body and "/console/corrections/" in emails[0].text_body
    assert not find_leaks(app.config, emails[0].text_body, emails[0].html_body, emails[0].from_address)


def test_a_record_that_is_not_mine_is_refused_and_nothing_is_saved(app, aisyah) -> None:
    other = add_customer(app, "acme", "someone@example.com", "Someone Else")
    [theirs] = add_purchases(app, other, 1, tag="theirs")
    raj = customer_id(app, "raj@example.org", "kedai")
    [kedai] = add_purchases(app, raj, 1, tag="kedai")
    for record in [
        f"invoice:{theirs['number']}",
        f"order:{kedai['order_number']}",
        f"service:{kedai['service_number']}",
        "",
        "x",
    ]:
        response = post_privacy(
            aisyah, "/account/privacy/corrections", {"record": record, "details": "Please fix this record."}
        )
        assert response.status_code == 400 and "Please choose one of your own records" in response.text
    assert _count(app, CorrectionRequest) == 0 and not outbox(app, kind="team_correction_request")


@pytest.mark.parametrize("details", ["", "too short", "x" * 2001])
def test_correction_details_need_10_to_2000_characters(app, aisyah, details) -> None:
    response = post_privacy(aisyah, "/account/privacy/corrections", {"record": "other", "details": details})
    assert response.status_code == 400 and "10 to 2000 characters" in response.text
    assert _count(app, CorrectionRequest) == 0


def test_a_double_submitted_request_is_saved_and_sent_to_the_team_once(app, aisyah) -> None:
    token = csrf_from(aisyah.get("/account/privacy").text)
    form = {"csrf_token": token, "record": "other", "details": "My name is spelled wrongly."}
    answers = [aisyah.post("/account/privacy/corrections", data=form) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [303, 303]
    assert _count(app, CorrectionRequest) == 1
    assert len(outbox(app, kind="team_correction_request")) == 2  # the owner and the agent, once each
    with app.app_context():
        asked = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "correction_request")).all()
        assert len(asked) == 1
    again = {**form, "details": "My name is spelled wrongly, please also fix the invoice."}
    assert aisyah.post("/account/privacy/corrections", data=again).status_code == 303
    assert _count(app, CorrectionRequest) == 2


def _ask(app, client, details: str = "My name is spelled wrongly.") -> int:
    assert (
        post_privacy(
            client, "/account/privacy/corrections", {"record": "other", "details": details}
        ).status_code
        == 303
    )
    with app.app_context():
        return db.session.scalar(select(func.max(CorrectionRequest.id)))


def test_a_request_can_be_withdrawn_once(app, aisyah) -> None:
    request_id = _ask(app, aisyah)
    path = f"/account/privacy/corrections/{number_of(app, CorrectionRequest, request_id)}/withdraw"
    assert post_privacy(aisyah, path).status_code == 303
    with app.app_context():
        request = db.session.get(CorrectionRequest, request_id)
        assert (request.status, request.outcome) == (CorrectionStatus.CLOSED, CorrectionOutcome.WITHDRAWN)
        assert request.closed_at is not None
    page = aisyah.get("/account/privacy").text
    assert "Withdrawn" in page and "Withdraw this request" not in page
    again = post_privacy(aisyah, path)
    assert again.status_code == 409 and "already closed" in again.text


def test_a_withdrawal_that_crosses_the_teams_closing_changes_nothing(app, aisyah) -> None:
    request_id = _ask(app, aisyah)
    with app.app_context():
        customer = db.session.get(Customer, customer_id(app))
        shop = db.session.get(Reseller, customer.reseller_id)
        read_by_the_customer = db.session.get(CorrectionRequest, request_id)
        # The team closes the request as corrected just after the customer's page read it.
        db.session.execute(
            text("UPDATE correction_request SET status = 'closed', outcome = 'corrected' WHERE id = :id"),
            {"id": request_id},
        )
        with pytest.raises(centre.PrivacyError, match="already closed"):
            centre.withdraw_correction(shop, customer, read_by_the_customer)
        db.session.commit()
        db.session.expire_all()
        closed = db.session.get(CorrectionRequest, request_id)
        assert (closed.status, closed.outcome) == (CorrectionStatus.CLOSED, CorrectionOutcome.CORRECTED)
        assert not db.session.scalars(select(AuditEntry).where(AuditEntry.action == "withdraw")).all()


def test_another_customers_or_shops_request_is_not_found(app, aisyah, client_for) -> None:
    raj = signed_in(client_for, KEDAI, "raj@example.org")
    _ask(app, raj, "My phone number changed.")
    theirs = _ask(app, raj)  # Kedai's request 2
    _ask(app, aisyah, "My address changed lately.")  # Acme's request 1
    number = number_of(app, CorrectionRequest, theirs)
    assert number == 2
    response = post_privacy(aisyah, f"/account/privacy/corrections/{number}/withdraw")
    assert response.status_code == 404 and "My name is spelled wrongly" not in response.text
    with app.app_context():
        assert db.session.get(CorrectionRequest, theirs).status == CorrectionStatus.OPEN
    assert "My name is spelled wrongly" not in aisyah.get("/account/privacy").text


def test_the_teams_answer_is_shown(app, aisyah) -> None:
    request_id = _ask(app, aisyah)
    with app.app_context():
        request = db.session.get(CorrectionRequest, request_id)
        request.status, request.answer, request.answered_at = (
            CorrectionStatus.ANSWERED,
            "Fixed it for you.",
            utcnow(),
        )
        db.session.commit()
    page = aisyah.get("/account/privacy").text
    assert "Our answer" in page and "Fixed it for you." in page and "Answered" in page


# Closing the account


def test_a_wrong_password_closes_nothing(app, aisyah) -> None:
    response = post_privacy(aisyah, "/account/privacy/close", {"password": "not my password"})
    assert response.status_code == 400 and "That is not your password" in response.text
    with app.app_context():
        assert db.session.scalar(select(Customer.closed_at).where(Customer.email == AISYAH)) is None
    assert aisyah.get("/account").status_code == 200


def test_closing_signs_out_everywhere_and_keeps_the_account_out(app, aisyah, client_for) -> None:
    other_device = signed_in(client_for)
    closed = post_privacy(aisyah, "/account/privacy/close", {"password": DEMO_PASSWORD})
    assert closed.status_code == 303 and closed.headers["Location"] == "/"
    home = aisyah.get("/").text
    assert "Your account is closed" in home and "24 months" in home and "invoices are kept" in home
    for client in (aisyah, other_device):
        assert client.get("/account/privacy").status_code == 302
    me = customer_id(app)
    with app.app_context():
        assert db.session.get(Customer, me).closed_at is not None
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor == f"customer:{me}"))
        assert "close_account" in set(actions)
    again = client_for(ACME)
    sign_in(again, AISYAH)
    assert again.get("/account").status_code == 302


def test_a_closed_account_gets_the_usual_sign_in_refusal(app, aisyah, client_for) -> None:
    post_privacy(aisyah, "/account/privacy/close", {"password": DEMO_PASSWORD})
    response = sign_in(client_for(ACME), AISYAH)
    assert response.status_code == 400 and "do not match" in response.text


def test_a_closed_account_is_sent_no_reset_link_and_no_sign_up_notice(app, aisyah, client_for) -> None:
    post_privacy(aisyah, "/account/privacy/close", {"password": DEMO_PASSWORD})
    sent_before = len(outbox(app, to=AISYAH))
    visitor = client_for(ACME)
    reset = post_form(visitor, "/reset", {"email": AISYAH})
    signup = post_form(
        visitor,
        "/signup",
        {"name": "Nur Aisyah", "email": AISYAH, "password": "a good long password", "privacy_notice": "y"},
    )
    assert reset.headers["Location"] == "/check-email?reason=reset"
    assert signup.headers["Location"] == "/check-email?reason=signup"
    assert len(outbox(app, to=AISYAH)) == sent_before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccountToken)) == 0


def test_a_reset_link_of_a_closed_account_changes_nothing(app, aisyah, client_for) -> None:
    post_privacy(aisyah, "/account/privacy/close", {"password": DEMO_PASSWORD})
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.email == AISYAH))
        token = issue_token(customer, TokenPurpose.RESET_PASSWORD)
        db.session.commit()
    visitor = client_for(ACME)
    page = visitor.get(f"/reset/{token}")
    new = "a brand new password"
    response = visitor.post(
        f"/reset/{token}", data={"csrf_token": csrf_from(page.text), "password": new, "confirm": new}
    )
    assert response.status_code == 400 and "link" in response.text
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.email == AISYAH))
        assert customer.check_password(DEMO_PASSWORD) and customer.closed_at is not None
    assert sign_in(client_for(ACME), AISYAH, new).status_code == 400


def test_closing_ends_marketing(app, aisyah) -> None:
    post_privacy(aisyah, "/account/privacy/consent", {"granted": "yes"})
    post_privacy(aisyah, "/account/privacy/close", {"password": DEMO_PASSWORD})
    with app.app_context():
        assert db.session.scalar(select(Customer.marketing_consent).where(Customer.email == AISYAH)) is False
        last = db.session.scalar(select(ConsentEvent).order_by(ConsentEvent.id.desc()).limit(1))
        assert (last.granted, last.source) == (False, "account closed")


# Profile changes


def test_changing_my_name_is_audited_once(app, aisyah) -> None:
    me = customer_id(app)
    for name in ["Nur Aisyah Binti Ali", "Nur Aisyah Binti Ali"]:
        token = csrf_from(aisyah.get("/account/profile").text)
        assert aisyah.post("/account/profile", data={"name": name, "csrf_token": token}).status_code == 302
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.actor, AuditEntry.record, AuditEntry.action, AuditEntry.customer_id)
        ).all()
    assert [tuple(r) for r in rows] == [(f"customer:{me}", f"customer:{me}", "profile", me)]


# What pages show


def test_what_people_wrote_is_shown_as_text(app, aisyah) -> None:
    request_id = _ask(app, aisyah, details=HOSTILE)
    me = customer_id(app)
    with app.app_context():
        request = db.session.get(CorrectionRequest, request_id)
        request.status, request.answer = CorrectionStatus.ANSWERED, HOSTILE
        db.session.add(
            Disclosure(
                reseller_id=request.reseller_id,
                customer_id=me,
                recipient=HOSTILE,
                data=HOSTILE,
                purpose=HOSTILE,
                legal_basis=LegalBasis.LEGAL_DUTY,
                reference=HOSTILE[:100],
                disclosed_at=utcnow(),
                recorded_by="staff:1",
            )
        )
        db.session.scalar(select(Customer).where(Customer.email == AISYAH)).name = HOSTILE
        db.session.scalar(
            select(TeamMember).where(TeamMember.email == "owner@acme-hosting.test")
        ).name = HOSTILE
        db.session.commit()
    _entries(app, me, 2)
    page = aisyah.get("/account/privacy").text
    assert "Required by law" in page and "Farid Hassan" not in page
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "{{7*7}}" in page
    assert '<a hx-get="/x"' not in page


def test_the_page_names_no_platform(app, aisyah, client_for, make_staff) -> None:
    ticket_id = open_for(app, "acme", escalated=True)
    staff_client(client_for, make_staff).get(f"/staff/escalations/{ticket_id}")
    add_purchases(app, customer_id(app), 1)
    response = aisyah.get("/account/privacy")
    assert not find_leaks(app.config, response.text, *[f"{k}: {v}" for k, v in response.headers.items()])


@pytest.mark.parametrize(
    ("host", "email"), [("bluewave.localhost", "weiming@example.net"), (KEDAI, "raj@example.org")]
)
def test_every_theme_shows_the_centre(demo, client_for, host, email) -> None:
    page = signed_in(client_for, host, email).get("/account/privacy")
    assert page.status_code == 200 and "Who has seen your data" in page.text


def test_signed_in_pages_are_never_kept_in_a_cache(aisyah, client_for) -> None:
    for path in ("/account/privacy", "/account", "/account/profile", "/plans"):
        assert aisyah.get(path).headers["Cache-Control"] == "private, no-store", path
    assert "no-store" not in client_for(ACME).get("/plans").headers.get("Cache-Control", "")


def test_the_page_shows_the_latest_consent_changes_and_the_download_has_them_all(app, aisyah) -> None:
    for granted in ("yes", "no") * 12:
        post_privacy(aisyah, "/account/privacy/consent", {"granted": granted})
    page = aisyah.get("/account/privacy").text
    assert page.count("agreed to marketing") + page.count("withdrew from marketing") == centre.CONSENTS_SHOWN
    assert "your download has them all" in page
    assert len(aisyah.get("/account/privacy/export").get_json()["consents"]) == 24
