"""The team's side of correction requests: the 21-day clock, answers, closing, passing corrections on."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.mail.delivery import build_email
from storefront.models import (
    AuditEntry,
    CorrectionOutcome,
    CorrectionRequest,
    CorrectionStatus,
    Customer,
    Disclosure,
    Invoice,
    LegalBasis,
    Order,
    utcnow,
)
from storefront.privacy.corrections import CORRECTION_DAYS, clock_text, days_left, due_at_for
from tests.console.shop_data import add_customers, add_orders, agent
from tests.leakguard import find_leaks
from tests.shop.helpers import csrf_from, link_in, outbox
from tests.steps import customer_id, customer_number, shop_id
from tests.steps import owner_client as owner

AISYAH = "aisyah@example.com"
HTMX = {"HX-Request": "true"}


def _request(
    app,
    slug: str = "acme",
    email: str = AISYAH,
    record: str = "other",
    details: str = "My name is spelt wrong on my invoice: it should be Nur Aisyah binti Ahmad.",
    age: timedelta = timedelta(days=2),
    **fields,
) -> int:
    """Store a correction request as the customer's privacy centre does; return its number in the shop."""
    with app.app_context():
        created = utcnow() - age
        correction = CorrectionRequest(
            reseller_id=shop_id(app, slug),
            customer_id=customer_id(app, email, slug),
            record=record,
            details=details,
            created_at=created,
            due_at=created + timedelta(days=21),
            **fields,
        )
        db.session.add(correction)
        db.session.commit()
        return correction.number


def _disclose(app, recipient: str, age: timedelta, email: str = AISYAH, slug: str = "acme") -> None:
    with app.app_context():
        db.session.add(
            Disclosure(
                reseller_id=shop_id(app, slug),
                customer_id=customer_id(app, email, slug),
                recipient=recipient,
                data="name, email, domain",
                purpose="Registering the customer's domain",
                legal_basis=LegalBasis.CONTRACT,
                disclosed_at=utcnow() - age,
                recorded_by="staff:1",
            )
        )
        db.session.commit()


def _load(app, number: int, slug: str = "acme") -> CorrectionRequest:
    with app.app_context():
        found = db.session.scalar(
            select(CorrectionRequest).where(
                CorrectionRequest.reseller_id == shop_id(app, slug), CorrectionRequest.number == number
            )
        )
        db.session.expunge_all()
        return found


def _post(client, path: str, **data):
    token = csrf_from(client.get("/console/corrections").text)
    return client.post(path, data={**data, "csrf_token": token})


def _local_date(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Kuala_Lumpur")).strftime("%-d %b %Y")


def _request_ids(html: str) -> list[int]:
    return [int(number) for number in re.findall(r'<a href="/console/corrections/(\d+)">', html)]


def test_the_list_shows_due_dates_days_left_and_overdue_requests_first(app, demo, client_for) -> None:
    fresh = _request(app, age=timedelta(days=5))
    late = _request(app, age=timedelta(days=25), details="Old one")
    closed = _request(
        app, status=CorrectionStatus.CLOSED, outcome=CorrectionOutcome.CORRECTED, closed_at=utcnow()
    )
    page = owner(client_for).get("/console/corrections")
    assert page.status_code == 200
    assert _request_ids(page.text) == [late, fresh]
    assert "16 days left" in page.text and "Overdue by 4 days" in page.text
    assert _local_date(_load(app, fresh).due_at) in page.text and "Nur Aisyah" in page.text
    assert 'aria-current="page">Corrections</a>' in page.text
    assert _request_ids(owner(client_for).get("/console/corrections?status=closed").text) == [closed]
    assert sorted(_request_ids(owner(client_for).get("/console/corrections?status=all").text)) == [
        fresh,
        late,
        closed,
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [("status=pending", "open, closed, or all"), ("page=abc", "numbered"), ("page=0", "numbered")],
)
def test_a_bad_filter_or_page_is_refused_with_a_message(app, demo, client_for, query, message) -> None:
    response = owner(client_for).get(f"/console/corrections?{query}")
    assert response.status_code == 400 and message in response.text


def test_a_page_past_the_end_says_so_and_htmx_gets_the_list_alone(app, demo, client_for) -> None:
    _request(app)
    team = owner(client_for)
    past = team.get("/console/corrections?page=9")
    assert past.status_code == 200 and "There is no page 9: 1 request fit on 1 page" in past.text
    fragment = team.get("/console/corrections?status=all", headers=HTMX).text
    assert fragment.startswith('<section id="corrections-list"') and "<html" not in fragment


def test_an_agent_sees_and_answers_and_the_customer_is_emailed_by_the_shop(app, demo, client_for) -> None:
    correction_id = _request(app)
    team = agent(app, client_for)
    assert "Corrections" in team.get("/console/tickets").text
    assert str(correction_id) in team.get("/console/corrections").text
    detail = team.get(f"/console/corrections/{correction_id}")
    assert detail.status_code == 200 and "it should be Nur Aisyah binti Ahmad" in detail.text
    assert f'href="/console/customers/{customer_number(app, AISYAH)}"' in detail.text
    assert AISYAH in detail.text
    answered = _post(team, f"/console/corrections/{correction_id}/answer", answer="We will reissue it.")
    assert answered.status_code == 303
    stored = _load(app, correction_id)
    assert stored.status == CorrectionStatus.ANSWERED and stored.answer == "We will reissue it."
    assert stored.answered_at is not None and stored.answered_by_id is not None
    assert re.search(
        r"Answered [^<]+ by <span hx-disable>Siti Rahman</span>", team.get(detail.request.path).text
    )
    [email] = outbox(app, kind="correction_answer")
    assert AISYAH in email.to_address and "Acme Hosting" in email.from_address
    assert "We will reissue it." in email.text_body
    assert link_in(email, "/account/privacy") == "http://shop.acme-hosting.test/account/privacy"
    assert "to correct your data." in email.text_body  # a record of no kind is not named to the customer
    assert not find_leaks(app.config, build_email(email).as_string())


def test_an_answer_sent_twice_reaches_the_customer_once(app, demo, client_for) -> None:
    correction_id = _request(app)
    team = owner(client_for)
    path = f"/console/corrections/{correction_id}/answer"
    form = {"answer": "We will reissue it.", "csrf_token": csrf_from(team.get("/console/corrections").text)}
    first, second = team.post(path, data=form), team.post(path, data=form)
    assert first.status_code == 303
    assert second.status_code == 409 and "already sent" in second.text
    assert len(outbox(app, kind="correction_answer")) == 1
    with app.app_context():
        answers = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "answer")).all()
        assert len(answers) == 1
    further = _post(team, path, answer="We have now reissued it.")
    assert further.status_code == 303 and len(outbox(app, kind="correction_answer")) == 2


@pytest.mark.parametrize(
    ("answer", "message"),
    [("", "Please write the answer"), ("x" * 5001, "at most 5000"), ("a\x00b", "control characters")],
)
def test_a_bad_answer_is_refused_and_nothing_is_saved_or_sent(app, demo, client_for, answer, message) -> None:
    correction_id = _request(app)
    refused = _post(owner(client_for), f"/console/corrections/{correction_id}/answer", answer=answer)
    assert refused.status_code == 400 and message in refused.text
    assert (
        _load(app, correction_id).status == CorrectionStatus.OPEN and _load(app, correction_id).answer == ""
    )
    assert outbox(app, kind="correction_answer") == []


def test_closing_as_corrected_tells_the_customer_and_a_second_close_is_refused(app, demo, client_for) -> None:
    correction_id = _request(app)
    team = owner(client_for)
    closed = _post(team, f"/console/corrections/{correction_id}/close", outcome="corrected")
    assert closed.status_code == 303
    stored = _load(app, correction_id)
    assert stored.status == CorrectionStatus.CLOSED and stored.outcome == CorrectionOutcome.CORRECTED
    assert stored.closed_at is not None
    [email] = outbox(app, kind="correction_closed")
    assert "your data is corrected" in email.subject and "We have made the correction" in email.text_body
    again = _post(team, f"/console/corrections/{correction_id}/close", outcome="refused", answer="No.")
    assert again.status_code == 409 and "already closed" in again.text
    assert _load(app, correction_id).outcome == CorrectionOutcome.CORRECTED
    late_answer = _post(team, f"/console/corrections/{correction_id}/answer", answer="More")
    assert late_answer.status_code == 409 and len(outbox(app)) == 1
    page = team.get(f"/console/corrections/{correction_id}").text
    assert "Closed" in page and "corrected" in page and 'name="outcome"' not in page


def test_refusing_needs_written_reasons_which_reach_the_customer(app, demo, client_for) -> None:
    correction_id = _request(app)
    team = owner(client_for)
    bare = _post(team, f"/console/corrections/{correction_id}/close", outcome="refused", answer="  ")
    assert bare.status_code == 400 and "Please write the reason for refusing" in bare.text
    assert _load(app, correction_id).status == CorrectionStatus.OPEN
    for outcome in ("", "withdrawn", "maybe"):
        wrong = _post(team, f"/console/corrections/{correction_id}/close", outcome=outcome)
        assert wrong.status_code == 400 and "corrected or the correction is refused" in wrong.text
    reason = "The invoice shows the name given at checkout; tax law keeps issued invoices as they are."
    refused = _post(team, f"/console/corrections/{correction_id}/close", outcome="refused", answer=reason)
    assert refused.status_code == 303
    stored = _load(app, correction_id)
    assert stored.outcome == CorrectionOutcome.REFUSED and stored.answer == reason
    [email] = outbox(app, kind="correction_closed")
    assert "cannot make the correction" in email.subject and reason in email.text_body
    assert not find_leaks(app.config, build_email(email).as_string())


def test_the_pass_on_box_lists_disclosures_of_the_last_twelve_months_only(app, demo, client_for) -> None:
    correction_id = _request(app)
    _disclose(app, "Old Registry Sdn Bhd", timedelta(days=396))
    team = owner(client_for)
    assert "was disclosed in the last 12 months" not in team.get(f"/console/corrections/{correction_id}").text
    _disclose(app, "MYNIC Berhad", timedelta(days=30))
    page = team.get(f"/console/corrections/{correction_id}").text
    assert "This customer's data was disclosed in the last 12 months" in page
    assert "pass the correction on to:" in page and "MYNIC Berhad" in page and "Old Registry" not in page
    assert "name, email, domain" in page and _local_date(utcnow() - timedelta(days=30)) in page


def test_passing_on_is_recorded_once_and_only_after_closing_as_corrected(app, demo, client_for) -> None:
    correction_id = _request(app)
    _disclose(app, "MYNIC Berhad", timedelta(days=30))
    team = owner(client_for)
    path = f"/console/corrections/{correction_id}/passed-on"
    early = _post(team, path)
    assert early.status_code == 409 and "closed as corrected" in early.text
    assert _post(team, f"/console/corrections/{correction_id}/close", outcome="corrected").status_code == 303
    assert "I have passed the correction on" in team.get(f"/console/corrections/{correction_id}").text
    assert _post(team, path).status_code == 303
    assert _load(app, correction_id).passed_on_at is not None
    assert (
        "Passing the correction on was recorded on" in team.get(f"/console/corrections/{correction_id}").text
    )
    again = _post(team, path)
    assert again.status_code == 409 and "already recorded" in again.text


def test_passing_on_a_refused_request_or_with_no_disclosure_is_refused(app, demo, client_for) -> None:
    refused = _request(
        app, status=CorrectionStatus.CLOSED, outcome=CorrectionOutcome.REFUSED, closed_at=utcnow()
    )
    corrected = _request(
        app, status=CorrectionStatus.CLOSED, outcome=CorrectionOutcome.CORRECTED, closed_at=utcnow()
    )
    team = owner(client_for)
    assert _post(team, f"/console/corrections/{corrected}/passed-on").status_code == 409
    _disclose(app, "MYNIC Berhad", timedelta(days=30))
    assert _post(team, f"/console/corrections/{refused}/passed-on").status_code == 409
    assert _load(app, refused).passed_on_at is None and _load(app, corrected).passed_on_at is None


def test_another_shops_request_is_not_found_and_stays_unchanged(app, demo, client_for) -> None:
    _request(app, "kedai", "raj@example.org", details="My phone number changed, please update it.")
    theirs = _request(app, "kedai", "raj@example.org")
    assert (theirs, _request(app)) == (2, 1)  # Acme has a request 1 of its own, and no request 2
    team = owner(client_for)
    assert team.get(f"/console/corrections/{theirs}").status_code == 404
    for action, data in (
        ("answer", {"answer": "Hi"}),
        ("close", {"outcome": "corrected"}),
        ("passed-on", {}),
    ):
        assert _post(team, f"/console/corrections/{theirs}/{action}", **data).status_code == 404
    assert _load(app, theirs, "kedai").status == CorrectionStatus.OPEN and outbox(app) == []
    listed = team.get("/console/corrections?status=all").text
    assert _request_ids(listed) == [1] and "phone number changed" not in listed


def test_a_post_without_its_csrf_token_changes_nothing(app, demo, client_for) -> None:
    correction_id = _request(app)
    refused = owner(client_for).post(
        f"/console/corrections/{correction_id}/close", data={"outcome": "corrected"}
    )
    assert refused.status_code == 400 and _load(app, correction_id).status == CorrectionStatus.OPEN


def test_the_customers_words_and_name_are_shown_as_text(app, demo, client_for) -> None:
    with app.app_context():
        found = db.session.get(Customer, customer_id(app, AISYAH))
        found.name = '<script>alert("name")</script>'
        db.session.commit()
    words = '"><img src=x onerror=alert(1)> {{7*7}} <a hx-get="/console/team" hx-trigger="load">x</a>'
    correction_id = _request(app, details=words)
    team = owner(client_for)
    page = team.get(f"/console/corrections/{correction_id}").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "{{7*7}}" in page and " 49 " not in page
    assert '<script>alert("name")' not in page and "&lt;script&gt;" in page
    assert "&lt;script&gt;" in team.get("/console/corrections").text


def test_views_and_changes_are_audited_with_the_customer(app, demo, client_for) -> None:
    correction_id = _request(app)
    team = owner(client_for)
    team.get(f"/console/corrections/{correction_id}")
    _post(team, f"/console/corrections/{correction_id}/answer", answer="Looking into it.")
    _post(team, f"/console/corrections/{correction_id}/close", outcome="corrected", answer="Reissued.")
    with app.app_context():
        entries = db.session.execute(
            select(AuditEntry.action, AuditEntry.customer_id, AuditEntry.actor).where(
                AuditEntry.record == f"correction:{_load(app, correction_id).id}"
            )
        ).all()
    aisyah = customer_id(app, AISYAH)
    assert {action for action, _, _ in entries} == {"view", "answer", "close"}
    assert all(customer == aisyah and actor.startswith("team:") for _, customer, actor in entries)


def test_the_record_is_named_only_when_it_is_the_customers_own(app, demo, client_for) -> None:
    add_orders(app, 2)
    with app.app_context():
        invoices = db.session.execute(
            select(Invoice.number, Invoice.customer_id).order_by(Invoice.number)
        ).all()
    (own_invoice, buyer), (other_invoice, _) = invoices
    email = _email_of(app, buyer)
    own = _request(app, email=email, record=f"invoice:{own_invoice}")
    other = _request(app, email=email, record=f"invoice:{other_invoice}")
    team = owner(client_for)
    assert "Invoice INV-001000" in team.get(f"/console/corrections/{own}").text
    page = team.get(f"/console/corrections/{other}").text
    assert "INV-001001" not in page and "Invoice (not found among this customer" in page
    assert _post(team, f"/console/corrections/{own}/answer", answer="Reissuing it.").status_code == 303
    assert _post(team, f"/console/corrections/{other}/answer", answer="Which one?").status_code == 303
    named, unnamed = outbox(app, kind="correction_answer")
    assert "to correct your data (Invoice INV-001000)." in named.text_body
    assert "INV-001001" not in unnamed.text_body and "to correct your data." in unnamed.text_body


def _email_of(app, customer: int) -> str:
    """Return a customer's email."""
    with app.app_context():
        return db.session.get(Customer, customer).email


def _many_requests(app, count: int) -> None:
    add_customers(app, count, prefix="asker")
    add_orders(app, 3)
    with app.app_context():
        reseller_id = shop_id(app, "acme")
        askers = db.session.scalars(select(Customer.id).where(Customer.email.like("asker%"))).all()
        invoice = db.session.execute(
            select(Invoice.number, Invoice.customer_id, Order.number.label("order")).join(
                Order, Order.id == Invoice.order_id
            )
        ).first()
        now = utcnow()
        records = [f"invoice:{invoice.number}", f"order:{invoice.order}", "service:1", "other"]
        for number, asker in enumerate(askers):
            db.session.add(
                CorrectionRequest(
                    reseller_id=reseller_id,
                    customer_id=invoice.customer_id if number % 4 < 2 else asker,
                    record=records[number % 4],
                    details="Fix it",
                    created_at=now - timedelta(days=number % 30),
                    due_at=now + timedelta(days=21 - number % 30),
                )
            )
        db.session.commit()


def test_the_list_costs_the_same_queries_for_few_or_many_requests(
    app, demo, client_for, count_queries
) -> None:
    _request(app)
    team = owner(client_for)

    def queries(query: str = "") -> int:
        with count_queries() as statements:
            assert team.get(f"/console/corrections{query}").status_code == 200
        return len(statements)

    queries()
    few = queries()
    _many_requests(app, 40)
    page = team.get("/console/corrections").text
    assert "Page 1 of 2 · 41 requests" in page and "Invoice INV-00100" in page and "Order #" in page
    assert queries() == few and queries("?status=all&page=2") == few


def test_a_requests_page_costs_the_same_queries_with_few_or_many_disclosures(
    app, demo, client_for, count_queries
) -> None:
    correction_id = _request(app)
    team = owner(client_for)

    def queries() -> int:
        with count_queries() as statements:
            assert team.get(f"/console/corrections/{correction_id}").status_code == 200
        return len(statements)

    queries()
    few = queries()
    for number in range(5):
        _disclose(app, f"Registry {number} Sdn Bhd", timedelta(days=30 + number))
    assert "Registry 4 Sdn Bhd" in team.get(f"/console/corrections/{correction_id}").text
    assert queries() == few


def test_days_are_counted_in_the_shops_time_zone() -> None:
    due = datetime(2026, 1, 10, 17, 0, tzinfo=UTC)  # 11 Jan, 01:00 in Kuala Lumpur
    late_evening = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)  # 10 Jan, 23:00 there
    assert days_left(due, late_evening, "Asia/Kuala_Lumpur") == 1
    assert days_left(due, late_evening, "UTC") == 0
    assert days_left(due, due + timedelta(days=2), "Asia/Kuala_Lumpur") == -2
    assert [clock_text(days) for days in (21, 1, 0, -1, -4)] == [
        "21 days left",
        "1 day left",
        "Due today",
        "Overdue by 1 day",
        "Overdue by 4 days",
    ]
    assert due_at_for(due) - due == timedelta(days=CORRECTION_DAYS) == timedelta(days=21)
