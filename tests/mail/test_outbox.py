"""Queueing email: rows in the caller's transaction, safe headers, branded templates."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.branding.shops import find_shop
from storefront.extensions import db
from storefront.mail import queue_email, send_templated
from storefront.models import OutboxMessage, OutboxStatus, Reseller
from tests.leakguard import find_leaks


def _reseller(slug: str) -> Reseller:
    return db.session.scalar(select(Reseller).where(Reseller.slug == slug))


def _outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_queueing_joins_the_callers_transaction_and_never_commits(app, demo) -> None:
    with app.app_context():
        message = queue_email(_reseller("acme"), "aisyah@example.com", "test", "Hi", "Hello.", about=None)
        assert message in db.session.new
        db.session.rollback()  # the change it reported failed: the email goes with it
        assert _outbox_count() == 0


def test_a_queued_row_carries_the_shops_identity(app, demo) -> None:
    with app.app_context():
        message = queue_email(
            _reseller("bluewave"), "weiming@example.net", "test", "Hi", "Hello.", about=None
        )
        db.session.commit()
        assert message.from_address == "BlueWave Web <support@bluewave-web.test>"
        assert message.reply_to == "support@bluewave-web.test"
        assert message.message_id.endswith("@bluewave-web.test>")
        assert (message.status, message.attempts, message.kind) == (OutboxStatus.QUEUED, 0, "test")
        assert message.reseller_id == _reseller("bluewave").id


def test_a_shop_snapshot_queues_like_a_reseller(app, demo) -> None:
    with app.app_context():
        shop = find_shop("kedai.localhost", "localhost")
        message = queue_email(shop, "raj@example.org", "test", "Hi", "Hello.", about=None)
        assert message.from_address == "Kedai Hosting <support@kedaihosting.test>"
        assert message.message_id.endswith("@kedaihosting.test>")


def test_without_a_verified_domain_the_message_id_uses_the_support_domain(app, make_reseller) -> None:
    make_reseller("plain", support_email="help@Plain-Hosting.test")
    with app.app_context():
        message = queue_email(_reseller("plain"), "a@example.com", "test", "Hi", "Hello.", about=None)
        assert message.message_id.endswith("@plain-hosting.test>")


def test_message_ids_are_unique_per_message(app, demo) -> None:
    with app.app_context():
        ids = {
            queue_email(_reseller("acme"), "a@example.com", "t", "Hi", "x", about=None).message_id
            for _ in range(5)
        }
        assert len(ids) == 5


@pytest.mark.parametrize(
    "to",
    [
        "victim@example.com\r\nBcc: other@example.com",
        "victim@example.com\nX-Injected: yes",
        "a@example.com, b@example.com",
        "a@example.com; b@example.com",
        "a@example.com b@example.com",
        "",
        "not-an-address",
    ],
)
def test_a_recipient_that_is_not_exactly_one_address_is_refused(app, demo, to) -> None:
    with app.app_context():
        with pytest.raises(ValueError):
            queue_email(_reseller("acme"), to, "test", "Hi", "Hello.", about=None)
        assert not db.session.new


def test_a_named_recipient_is_kept_with_its_name(app, demo) -> None:
    with app.app_context():
        message = queue_email(
            _reseller("acme"), '"Aisyah, Nur" <aisyah@example.com>', "t", "Hi", "x", about=None
        )
        assert message.to_address == '"Aisyah, Nur" <aisyah@example.com>'


def test_control_characters_in_the_subject_become_single_spaces(app, demo) -> None:
    with app.app_context():
        message = queue_email(
            _reseller("acme"),
            "a@example.com",
            "t",
            "Order\r\n\r\nBcc: x@example.com\t\x00done",
            "x",
            about=None,
        )
        assert message.subject == "Order Bcc: x@example.com done"


def test_a_line_break_in_the_brand_name_cannot_reach_the_from_header(app, make_reseller) -> None:
    make_reseller("broken", brand_name="Broken\r\nBcc: x@example.com")
    with app.app_context():
        message = queue_email(_reseller("broken"), "a@example.com", "t", "Hi", "x", about=None)
        assert "\n" not in message.from_address and "\r" not in message.from_address


def _verify_email(app, slug: str = "acme", **context) -> OutboxMessage:
    context = {"customer_name": "Nur Aisyah", "verify_url": "https://shop.acme-hosting.test/v/abc"} | context
    with app.app_context():
        message = send_templated(_reseller(slug), "aisyah@example.com", "verify_email", about=None, **context)
        db.session.flush()
        db.session.expunge(message)
        return message


def test_verify_email_renders_branded_html_and_text(app, demo) -> None:
    message = _verify_email(app)

    assert message.kind == "verify_email"
    assert message.subject == "Confirm your email address for Acme Hosting"
    for body in (message.text_body, message.html_body):
        assert "Acme Hosting" in body
        assert "Acme Hosting Sdn. Bhd." in body  # the footer's legal name
        assert "support@acme-hosting.test" in body
        assert "https://shop.acme-hosting.test/v/abc" in body
        assert "Nur Aisyah" in body
    assert "background:#c2410c" in message.html_body  # the brand colour's header bar
    assert "<" not in message.text_body
    assert find_leaks(app.config, message.subject, message.text_body, message.html_body) == []


def test_the_text_part_is_verbatim_and_the_html_part_escaped(app, demo) -> None:
    message = _verify_email(app, customer_name="Tan & Sons <b>")

    assert "Hello Tan & Sons <b>," in message.text_body
    assert "Tan &amp; Sons &lt;b&gt;" in message.html_body
    assert "Tan & Sons <b>" not in message.html_body


def test_hostile_names_stay_text(app, make_reseller) -> None:
    make_reseller("evil", brand_name='<script>alert(1)</script>"><img onerror=x>')
    message = _verify_email(app, slug="evil", customer_name="{{7*7}}")

    assert "<script>" not in message.html_body and "<img" not in message.html_body
    assert "{{7*7}}" in message.text_body and "49" not in message.text_body
    assert "{{7*7}}" in message.html_body


def test_a_brand_colour_that_is_not_hex_falls_back(app, make_reseller) -> None:
    make_reseller("odd", color_primary='#"><x>a')
    message = _verify_email(app, slug="odd")

    assert '"><x>' not in message.html_body
    assert "background:#1d4ed8" in message.html_body
