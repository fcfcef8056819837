"""The customer's page of one service, in every theme, and what they may change there: automatic renewal,
ending at the end of the term or now, and the billing cycle; only their own services, in their own shop."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Reseller, Service
from tests.billing.helpers import AISYAH, history, renewal_invoices, run, service_state
from tests.leakguard import find_leaks, response_texts
from tests.shop.helpers import csrf_from, outbox
from tests.shop.privacy_support import add_customer
from tests.shop.service_steps import (
    MID_FEBRUARY,
    at,
    balance,
    bought_service,
    post_on_page,
    signed_in,
)
from tests.steps import customer_id

FEB_14 = datetime(2026, 2, 14, 1, tzinfo=UTC)  # the renewal invoice is issued 14 days before 28 Feb


def _set_theme(app, theme: str) -> None:
    with app.app_context():
        db.session.scalar(select(Reseller).where(Reseller.slug == "acme")).theme = theme
        db.session.commit()


def test_the_page_shows_the_service_its_invoices_and_history_in_every_theme(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    run(app, FEB_14, shop_slug="acme")
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        listing = client.get("/account/services").text
        assert f'href="/account/services/{number}"' in listing
        for theme in ("default", "editorial", "bazaar"):
            _set_theme(app, theme)
            page = client.get(f"/account/services/{number}")
            assert page.status_code == 200, theme
            text = page.text
            assert "Service 1: Starter" in text and "monthly" in text
            assert "Next due" in text and "28 Feb 2026" in text
            assert "RM 12.90/mo" in text
            assert 'href="/account/invoices/1"' in text and "The order" in text  # the order's invoice
            renewal = renewal_invoices(app, service_id)[0][0]
            assert (
                f'href="/account/invoices/{renewal}"' in text
                and "Renewal, 28 Feb 2026 to 31 Mar 2026" in text
            )
            assert "Unpaid" in text and "Paid" in text
            assert "Bought" in text and "Set up" in text  # the history, readable
            assert "The renewal invoice INV-000002 for the period from 28 Feb 2026 is waiting" in text
            assert find_leaks(app.config, *response_texts(page)) == []
            review = client.get(f"/account/services/{number}/change-plan?plan=business")
            assert review.status_code == 400  # refused while the renewal is unpaid, with the reason
            assert find_leaks(app.config, *response_texts(review)) == []


def test_another_customers_or_another_shops_service_is_not_found(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    add_customer(app, "acme", "other@example.com", "Other Person")
    with app.app_context():
        from storefront.models import Customer

        db.session.get(Customer, customer_id(app, "other@example.com")).email_verified_at = MID_FEBRUARY
        db.session.commit()
    with at(MID_FEBRUARY):
        stranger = signed_in(client_for, email="other@example.com")
        assert stranger.get(f"/account/services/{number}").status_code == 404
        assert stranger.get(f"/account/services/{number}/change-plan?plan=business").status_code == 404
        token = csrf_from(stranger.get("/account/services").text)
        for action, data in (
            ("auto-renew", {"turn": "off"}),
            ("cancel", {"reason": "not mine", "understood": "y"}),
            ("change-plan", {"plan": "pro", "current_plan": "starter", "quoted": "0"}),
            ("end-at-term", {"reason": "not mine"}),
            ("cycle", {"cycle": "annually"}),
        ):
            answer = stranger.post(f"/account/services/{number}/{action}", data={"csrf_token": token, **data})
            assert answer.status_code == 404, action
        elsewhere = signed_in(client_for, "bluewave.localhost", "weiming@example.net")
        assert elsewhere.get(f"/account/services/{number}").status_code == 404
        assert "anchored.com" not in elsewhere.get("/account/services").text
    assert service_state(app, service_id)[0] == "active"
    with app.app_context():
        service = db.session.get(Service, service_id)
        assert service.auto_renew and not service.ends_at_term and service.next_cycle is None


def test_automatic_renewal_off_stops_the_renewal_and_ends_the_service_with_its_term(
    app, demo, client_for
) -> None:
    service_id, number = bought_service(app, client_for)
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        answer = post_on_page(client, number, "auto-renew", {"turn": "off"})
        assert answer.status_code == 303
        page = client.get(f"/account/services/{number}").text
        assert "Automatic renewal is off: the service ends with its term." in page
        assert "Ends on" in page and "Turn automatic renewal on" in page
    me = customer_id(app)
    assert ("auto_renew_off", f"customer:{me}", None) in history(app, service_id)
    email = outbox(app, to=AISYAH, kind="service_change")[-1]
    assert email.subject == "Automatic renewal is off for anchored.com"
    assert "the service ends on 28 Feb 2026" in email.text_body
    assert "/account/services/1" in email.text_body
    run(app, FEB_14, shop_slug="acme")
    assert renewal_invoices(app, service_id) == []  # no renewal invoice while it is off
    run(app, datetime(2026, 2, 28, 1, tzinfo=UTC), shop_slug="acme")
    assert service_state(app, service_id)[0] == "cancelled"


def test_renewal_turned_back_on_before_the_term_resumes_and_credit_pays_first(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        post_on_page(client, number, "auto-renew", {"turn": "off"})
    run(app, FEB_14, shop_slug="acme")
    assert renewal_invoices(app, service_id) == []
    with app.app_context():
        from storefront.commerce.account_credit import Adjustment, adjust_account_credit
        from storefront.models import Customer

        shop = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        customer = db.session.get(Customer, customer_id(app))
        adjust_account_credit(shop, customer, Adjustment("add", "50.00", "Goodwill"), "team:1")
        db.session.commit()
    with at(datetime(2026, 2, 20, 2, tzinfo=UTC)):
        client = signed_in(client_for)
        assert post_on_page(client, number, "auto-renew", {"turn": "on"}).status_code == 303
        again = post_on_page(client, number, "auto-renew", {"turn": "on"})
        assert again.status_code == 409 and "Automatic renewal is already on." in again.text
    run(app, datetime(2026, 2, 21, 1, tzinfo=UTC), shop_slug="acme")
    (renewal,) = renewal_invoices(app, service_id)
    assert renewal[3] == "paid"  # the credit paid it as it was issued
    assert balance(app) == 5000 - 1290
    assert service_state(app, service_id)[:2] == ("active", date(2026, 3, 31))


def test_ending_at_term_needs_a_reason_and_can_be_undone_before_the_term_ends(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        for reason in ("", "  ", "no", "x" * 301):
            refused = post_on_page(client, number, "end-at-term", {"reason": reason})
            assert refused.status_code == 400, reason
            assert "Please tell us why, in 3 to 300 characters." in refused.text
        with app.app_context():
            assert not db.session.get(Service, service_id).ends_at_term
        done = post_on_page(client, number, "end-at-term", {"reason": "Moving   to a bigger server"})
        assert done.status_code == 303
        page = client.get(f"/account/services/{number}").text
        assert (
            'You asked for this service to end at the end of its term ("Moving to a bigger server")' in page
        )
        assert "Keep it renewing" in page
        assert (
            outbox(app, to=AISYAH, kind="service_change")[-1].subject
            == "Your hosting for anchored.com ends on 28 Feb 2026"
        )
        assert post_on_page(client, number, "keep-renewing").status_code == 303
        assert (
            outbox(app, to=AISYAH, kind="service_change")[-1].subject
            == "Your hosting for anchored.com renews again"
        )
        again = post_on_page(client, number, "keep-renewing")
        assert again.status_code == 409 and "not set to end" in again.text
    me = f"customer:{customer_id(app)}"
    assert [(what, actor) for what, actor, _ in history(app, service_id)][-2:] == [
        ("ends_at_term", me),
        ("renews_again", me),
    ]
    run(app, FEB_14, shop_slug="acme")
    assert len(renewal_invoices(app, service_id)) == 1  # renewing again


def test_after_the_term_ended_there_is_nothing_to_undo(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    with at(MID_FEBRUARY):
        post_on_page(signed_in(client_for), number, "end-at-term", {"reason": "Closing the shop"})
    run(app, datetime(2026, 2, 28, 1, tzinfo=UTC), shop_slug="acme")
    with at(datetime(2026, 3, 1, 2, tzinfo=UTC)):
        client = signed_in(client_for)
        page = client.get(f"/account/services/{number}").text
        assert "Cancelled" in page and "Keep it renewing" not in page and "Cancel now" not in page
        token = csrf_from(page)
        late = client.post(f"/account/services/{number}/keep-renewing", data={"csrf_token": token})
        assert late.status_code == 409
    assert service_state(app, service_id)[0] == "cancelled"


def test_cancelling_now_ends_the_service_and_cancels_its_unpaid_renewal(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    run(app, FEB_14, shop_slug="acme")
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        no_box = post_on_page(client, number, "cancel", {"reason": "Too expensive"})
        assert no_box.status_code == 400 and "Please tick the box" in no_box.text
        no_reason = post_on_page(client, number, "cancel", {"reason": "", "understood": "y"})
        assert no_reason.status_code == 400
        assert service_state(app, service_id)[0] == "active"
        done = post_on_page(client, number, "cancel", {"reason": "Too expensive", "understood": "y"})
        assert done.status_code == 303
        page = client.get(f"/account/services/{number}").text
        assert "Cancelled" in page and "Invoice cancelled" in page
    assert service_state(app, service_id)[0] == "cancelled"
    assert [status for _, _, _, status, _ in renewal_invoices(app, service_id)] == ["cancelled"]
    me = f"customer:{customer_id(app)}"
    assert ("cancelled", me, "cancelled") in history(app, service_id)
    assert (
        outbox(app, to=AISYAH, kind="service_ended")[-1].subject == "Your hosting for anchored.com has ended"
    )
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        renewal = renewal_invoices(app, service_id)[0][0]
        token = csrf_from(client.get(f"/account/invoices/{renewal}").text)
        assert (
            client.post(f"/account/invoices/{renewal}/pay/card", data={"csrf_token": token}).status_code
            == 409
        )


def test_cancelling_gives_back_credit_applied_to_the_unpaid_renewal(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    with app.app_context():
        from storefront.commerce.account_credit import Adjustment, adjust_account_credit
        from storefront.models import Customer

        shop = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        adjust_account_credit(
            shop, db.session.get(Customer, customer_id(app)), Adjustment("add", "5.00", "Goodwill"), "team:1"
        )
        db.session.commit()
    run(app, FEB_14, shop_slug="acme")
    assert balance(app) == 0  # RM 5 went to the renewal invoice
    with at(MID_FEBRUARY):
        post_on_page(signed_in(client_for), number, "cancel", {"reason": "Too expensive", "understood": "y"})
    assert balance(app) == 500


def test_the_billing_cycle_changes_from_the_next_renewal_and_can_be_undone(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        for cycle in ("quarterly", "weekly", "", "monthly"):
            refused = post_on_page(client, number, "cycle", {"cycle": cycle})
            assert refused.status_code == 400, cycle
        with app.app_context():
            assert db.session.get(Service, service_id).next_cycle is None
        assert (
            "We do not sell this plan billed quarterly."
            in post_on_page(client, number, "cycle", {"cycle": "quarterly"}).text
        )
        assert post_on_page(client, number, "cycle", {"cycle": "annually"}).status_code == 303
        page = client.get(f"/account/services/{number}").text
        assert 'Scheduled: billed annually at <span class="nowrap">RM 129.00</span> from 28 Feb 2026.' in page
        assert post_on_page(client, number, "cycle/withdraw").status_code == 303
        assert "Scheduled:" not in client.get(f"/account/services/{number}").text
        assert post_on_page(client, number, "cycle", {"cycle": "annually"}).status_code == 303
    subjects = [m.subject for m in outbox(app, to=AISYAH, kind="service_change")]
    assert subjects[-3:] == [
        "Your hosting for anchored.com is billed annually from 28 Feb 2026",
        "Your hosting for anchored.com stays billed monthly",
        "Your hosting for anchored.com is billed annually from 28 Feb 2026",
    ]
    run(app, FEB_14, shop_slug="acme")
    ((_, start, end, _, total),) = renewal_invoices(app, service_id)
    assert (start, end, total) == (date(2026, 2, 28), date(2027, 2, 28), 12900)
    with at(MID_FEBRUARY):
        late = post_on_page(signed_in(client_for), number, "cycle/withdraw")
        assert late.status_code == 409  # the renewal is issued with the new cycle


def test_a_post_without_its_csrf_token_changes_nothing(app, demo, client_for) -> None:
    service_id, number = bought_service(app, client_for)
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        answer = client.post(f"/account/services/{number}/auto-renew", data={"turn": "off"})
        assert answer.status_code == 400
    with app.app_context():
        assert db.session.get(Service, service_id).auto_renew


def test_changes_are_rate_limited_per_account(app, demo, client_for) -> None:
    app.config["RATELIMIT_SERVICE_CHANGE_PER_ACCOUNT"] = "2 per hour"
    _, number = bought_service(app, client_for)
    with at(MID_FEBRUARY):
        client = signed_in(client_for)
        assert post_on_page(client, number, "auto-renew", {"turn": "off"}).status_code == 303
        assert post_on_page(client, number, "auto-renew", {"turn": "on"}).status_code == 303
        assert post_on_page(client, number, "auto-renew", {"turn": "off"}).status_code == 429


def test_the_page_costs_the_same_queries_however_long_the_service_has_run(
    app, demo, client_for, count_queries
) -> None:
    service_id, number = bought_service(app, client_for)

    def page_statements(moment: datetime) -> int:
        with at(moment):
            client = signed_in(client_for)
            with count_queries() as statements:
                assert client.get(f"/account/services/{number}").status_code == 200
            return len(statements)

    young = page_statements(MID_FEBRUARY)
    for month, day in ((2, 14), (3, 17), (4, 16), (5, 17)):  # a year's first renewals, each paid
        run(app, datetime(2026, month, day, 1, tzinfo=UTC), shop_slug="acme")
        invoice = [n for n, _, _, status, _ in renewal_invoices(app, service_id) if status == "issued"][0]
        from tests.billing.helpers import pay_by_card

        pay_by_card(client_for, invoice, datetime(2026, month, day, 3, tzinfo=UTC))
    assert len(renewal_invoices(app, service_id)) == 4
    assert page_statements(datetime(2026, 5, 20, 2, tzinfo=UTC)) == young
