"""Small things a new user noticed: the chosen billing period follows to the plan page, each price
shows once, one plan at most is "Popular", sizes and counts read naturally, and team emails give
deadlines in the shop's own time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storefront.extensions import db
from storefront.formatting import counted, file_size, zone_time
from storefront.mail.attachments import IncomingFile, store_attachments
from storefront.models import Offer, Reseller, Ticket
from storefront.support.tickets import add_customer_message
from tests.shop.helpers import outbox, sign_in
from tests.steps import make_ticket, number_of, owner_client

ACME = "acme.localhost"
HOSTS = ("acme.localhost", "bluewave.localhost", "kedai.localhost")  # default, editorial, bazaar


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


@pytest.mark.parametrize("host", HOSTS)
def test_the_period_chosen_on_plans_comes_along_to_the_plan_page(demo, client_for, host) -> None:
    client = client_for(host)
    listing = client.get("/plans?cycle=annually").text
    links = set(re.findall(r'href="(/plans/[a-z]+[^"]*)"', listing))
    assert links and all(link.endswith("?cycle=annually") for link in links), links
    page = client.get(sorted(links)[0].replace("&amp;", "&")).text
    assert re.search(r'<input type="radio" id="cycle-annually" name="cycle" value="annually" checked>', page)
    assert 'value="monthly" checked' not in page


def test_an_unknown_or_unsold_period_leaves_the_first_one_chosen(demo, client_for) -> None:
    client = client_for(ACME)
    for query in ("", "?cycle=weekly", "?cycle=quarterly"):
        page = client.get(f"/plans/business{query}").text
        assert 'value="monthly" checked' in page and page.count(" checked>") == 1, query


def test_the_plan_page_shows_each_price_once(demo, client_for) -> None:
    main = _main(client_for(ACME).get("/plans/business").text)
    monthly_row = re.search(r'id="cycle-monthly".*?</tr>', main, re.S).group(0)
    yearly_row = re.search(r'id="cycle-annually".*?</tr>', main, re.S).group(0)
    outside = main.replace(monthly_row, "").replace(yearly_row, "")
    assert re.findall(r"RM [\d,]+\.\d\d", outside) == []  # no second list of the same prices
    assert len(re.findall(r"RM [\d,]+\.\d\d", yearly_row)) == 2  # the price, and per month


@pytest.mark.parametrize("host", HOSTS)
def test_at_most_one_plan_is_popular(demo, client_for, host) -> None:
    for path in ("/", "/plans"):
        html = client_for(host).get(path).text
        assert len(re.findall(r'class="plan-(?:card|row)__badge"', html)) <= 1, (host, path)


def test_a_shop_cannot_feature_a_second_offer(app, demo) -> None:
    with app.app_context():
        kedai = db.session.scalar(select(Reseller.id).where(Reseller.slug == "kedai"))
        offers = db.session.scalars(select(Offer).where(Offer.reseller_id == kedai).order_by(Offer.id)).all()
        assert sum(offer.featured for offer in offers) == 1
        next(offer for offer in offers if not offer.featured).featured = True
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (16, "16 bytes"),
        (1023, "1,023 bytes"),
        (1024, "1 KB"),
        (1536, "1.5 KB"),
        (48 * 1024, "48 KB"),
        (5 * 1024 * 1024, "5 MB"),
        (int(2.25 * 1024 * 1024), "2.2 MB"),
    ],
)
def test_file_sizes_read_naturally(size, shown) -> None:
    assert file_size(size) == shown


def test_counts_agree_with_their_nouns() -> None:
    assert [counted(n, "ticket") for n in (0, 1, 2)] == ["0 tickets", "1 ticket", "2 tickets"]
    assert counted(1, "entry", "entries") == "1 entry" and counted(3, "entry", "entries") == "3 entries"


def test_a_small_attachment_shows_its_size_in_bytes(app, demo, client_for) -> None:
    ticket_id = make_ticket(app)
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        shop = db.session.get(Reseller, ticket.reseller_id)
        message = add_customer_message(shop, ticket, "Here is the log.")
        store_attachments(message, [IncomingFile("error.log", "text/plain", b"short log line\n")])
        db.session.commit()
    client = client_for(ACME)
    sign_in(client, "aisyah@example.com")
    page = client.get(f"/account/tickets/{number_of(app, Ticket, ticket_id)}").text
    assert "error.log</a> (15 bytes)" in page and "0.0 KB" not in page


def test_one_ticket_is_one_ticket_in_the_console(app, demo, client_for) -> None:
    make_ticket(app)
    page = owner_client(client_for).get("/console/tickets").text
    assert "· 1 ticket<" in page and "1 tickets" not in page


def test_team_emails_give_the_deadline_in_the_shops_time(app, demo) -> None:
    make_ticket(app, now=datetime(2026, 6, 1, 2, 0, tzinfo=UTC))  # Acme answers within 4 hours
    [email, *_] = outbox(app, kind="team_ticket_new")
    assert "1 Jun 2026, 06:00" not in email.text_body and "UTC." not in email.text_body
    assert "due by 1 Jun 2026, 14:00 (Kuala Lumpur time, UTC+8)." in email.text_body
    assert "1 Jun 2026, 14:00 (Kuala Lumpur time, UTC+8)" in email.html_body


def test_zone_time_names_the_zone_and_its_offset() -> None:
    moment = datetime(2026, 12, 8, 10, 57, tzinfo=UTC)
    assert zone_time(moment, "Asia/Kuala_Lumpur") == "8 Dec 2026, 18:57 (Kuala Lumpur time, UTC+8)"
    assert zone_time(moment, "Asia/Kolkata") == "8 Dec 2026, 16:27 (Kolkata time, UTC+5:30)"
    assert zone_time(moment, "UTC") == "8 Dec 2026, 10:57 (UTC)"


@pytest.mark.parametrize("host", HOSTS)
def test_every_theme_keeps_a_logos_shape(demo, client_for, host) -> None:
    """A wide logo is neither squashed into a square nor cut to a circle (the browser test measures it)."""
    client = client_for(host)
    css = "".join(
        client.get(href).text
        for href in re.findall(r'href="(/theme/[^"?]+\.css)[^"]*"', client.get("/").text)
    )
    rules = re.findall(r"\.brand__logo\s*\{([^}]*)\}", css)
    assert rules, host
    last = {k.strip(): v.strip() for rule in rules for k, v in re.findall(r"([\w-]+)\s*:\s*([^;]+)", rule)}
    assert last.get("width") == "auto" and last.get("object-fit") == "contain", last
    assert "height" in last and last.get("border-radius") != "50%", last
