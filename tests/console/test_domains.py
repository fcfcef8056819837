"""The console's domains page: claim a domain, prove it over real DNS, primary, removal, nameservers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from storefront.branding import shop_domains
from storefront.commerce.payments import mark_bank_transfer_paid
from storefront.extensions import db
from storefront.fulfilment.provisioning import activate
from storefront.models import AuditEntry, Domain, Invoice, Nameserver, Reseller, Service, TeamMember, TeamRole
from tests.dns_server import RunningDnsServer, closed_udp_port, dns_server, silent_udp_port
from tests.leakguard import find_leaks
from tests.shop.helpers import csrf_from, link_in, outbox, post_form
from tests.shop.test_checkout import signed_in_with_cart
from tests.steps import team_sign_in

ACME = "acme.localhost"
NEW = "shop.example.com"
RECORD = f"_shop-verification.{NEW}"
AGENT_EMAIL = "agent.domains@acme-hosting.test"


@pytest.fixture
def dns(app) -> Iterator[RunningDnsServer]:
    """A DNS server on loopback that the app asks for verification records, with a short timeout."""
    with dns_server() as server:
        app.config.update(
            DNS_RESOLVER_ADDRESSES=["127.0.0.1"], DNS_RESOLVER_PORT=server.port, DNS_TIMEOUT_SECONDS=1
        )
        yield server


@pytest.fixture
def owner(demo, client_for):
    """Acme's owner, signed in to the console."""
    client = client_for(ACME)
    assert team_sign_in(client).status_code == 302
    return client


def _post(client, path: str, data: dict | None = None, **kwargs):
    return post_form(client, path, data or {}, page="/console/domains", **kwargs)


def _domain(app, hostname: str, slug: str = "acme") -> Domain | None:
    with app.app_context():
        found = db.session.scalar(
            select(Domain).join(Reseller).where(Reseller.slug == slug, Domain.hostname == hostname)
        )
        db.session.expunge_all()
        return found


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _add(app, client, hostname: str = NEW, slug: str = "acme") -> Domain:
    assert _post(client, "/console/domains", {"hostname": hostname}).status_code == 303
    return _domain(app, hostname.lower(), slug)


def _prove(app, client, dns: RunningDnsServer, domain: Domain) -> Domain:
    dns.records[f"_shop-verification.{domain.hostname}"] = [f"shop-verification={domain.verification_token}"]
    assert _post(client, f"/console/domains/{domain.number}/verify").status_code == 303
    return _domain(app, domain.hostname)


def _add_and_prove(app, client, dns: RunningDnsServer, hostname: str = NEW) -> Domain:
    return _prove(app, client, dns, _add(app, client, hostname))


def _reset_link_host(app, client_for) -> str:
    count = len(outbox(app, kind="reset_password"))
    post_form(client_for(ACME), "/reset", {"email": "aisyah@example.com"})
    messages = outbox(app, kind="reset_password")
    assert len(messages) == count + 1
    return urlsplit(link_in(messages[-1], "/reset/")).hostname


def _audited(app, action: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.reason).where(AuditEntry.action == action)))


def test_the_page_shows_the_slug_host_domains_and_nameservers(app, owner) -> None:
    page = owner.get("/console/domains")
    assert page.status_code == 200
    assert "acme.localhost" in page.text and "cannot be removed" in page.text
    assert "shop.acme-hosting.test" in page.text and "Verified" in page.text
    assert "ns1.acme-hosting.test" in page.text and "203.0.113.53" in page.text
    assert "glue record" in page.text and "A</strong> record" in page.text
    assert not find_leaks(app.config, page.text)


def test_adding_a_domain_shows_its_txt_record_and_does_not_serve_yet(app, owner, client_for) -> None:
    response = _post(owner, "/console/domains", {"hostname": "  Shop.Example.COM. "}, follow_redirects=True)
    domain = _domain(app, NEW)
    assert domain is not None and domain.verified_at is None and not domain.is_primary
    assert len(domain.verification_token) >= 32
    assert f"{NEW} added" in response.text
    assert RECORD in response.text and f"shop-verification={domain.verification_token}" in response.text
    assert "CNAME" in response.text and "<code>acme.localhost</code>" in response.text
    assert client_for(NEW).get("/").status_code == 404
    assert _audited(app, "domain_add") == [NEW]


def test_each_domain_gets_its_own_token(app, owner) -> None:
    first, second = _add(app, owner, "one.example.com"), _add(app, owner, "two.example.com")
    assert first.verification_token != second.verification_token


@pytest.mark.parametrize(
    ("records", "explained"),
    [
        ({}, f"No record named {RECORD} was found"),
        ({RECORD: []}, f"{RECORD} exists but has no TXT record"),
        ({RECORD: ["shop-verification=not-this-one"]}, "holds “shop-verification=not-this-one”, not this"),
        ({RECORD: ["v=spf1 -all", "shop-verification=old"]}, "hold “v=spf1 -all”, “shop-verification=old”"),
    ],
    ids=["no record", "no TXT", "wrong token", "wrong tokens"],
)
def test_verification_without_the_right_record_explains_and_does_not_serve(
    app, owner, client_for, dns, records, explained
) -> None:
    domain = _add(app, owner)
    dns.records.update(records)
    response = _post(owner, f"/console/domains/{domain.number}/verify")
    assert response.status_code == 400
    assert explained in response.text
    assert "verify again" in response.text
    assert _domain(app, NEW).verified_at is None
    assert client_for(NEW).get("/").status_code == 404
    assert RECORD in dns.resolver.queries


def test_verification_with_the_right_record_serves_the_shop_there(app, owner, client_for, dns) -> None:
    domain = _add(app, owner)
    dns.records[RECORD] = ["v=spf1 -all", f"shop-verification={domain.verification_token}"]
    response = _post(owner, f"/console/domains/{domain.number}/verify", follow_redirects=True)
    assert response.status_code == 200 and f"{NEW} is verified" in response.text
    assert _domain(app, NEW).verified_at is not None
    shop = client_for(NEW).get("/")
    assert shop.status_code == 200 and "Acme Hosting" in shop.text
    assert client_for(f"{NEW.upper()}:8443").get("/").status_code == 200
    assert _audited(app, "domain_verify") == [NEW]


def test_a_domain_another_shop_verified_cannot_be_claimed(app, demo, owner) -> None:
    response = _post(owner, "/console/domains", {"hostname": "bluewave-web.test"})
    assert response.status_code == 400 and "already verified by another shop" in response.text
    assert _domain(app, "bluewave-web.test", "acme") is None
    assert _domain(app, "bluewave-web.test", "bluewave").verified_at is not None


def test_a_claimed_but_unproven_name_can_be_claimed_and_only_one_shop_proves_it(
    app, demo, owner, client_for, dns
) -> None:
    kedai = client_for("kedai.localhost")
    team_sign_in(kedai, "owner@kedaihosting.test")
    theirs = _add(app, kedai, slug="kedai")
    ours = _add_and_prove(app, owner, dns)
    assert ours.verified_at is not None and _domain(app, NEW, "kedai").verified_at is None
    dns.records[RECORD].append(f"shop-verification={theirs.verification_token}")
    refused = _post(kedai, f"/console/domains/{theirs.number}/verify")
    assert refused.status_code == 400 and "already verified by another shop" in refused.text
    assert _domain(app, NEW, "kedai").verified_at is None
    assert "Acme Hosting" in client_for(NEW).get("/").text


def test_two_shops_proving_one_name_at_once_leaves_one_winner(app, demo, owner, client_for, dns, monkeypatch):
    kedai = client_for("kedai.localhost")
    team_sign_in(kedai, "owner@kedaihosting.test")
    theirs = _add(app, kedai, slug="kedai")
    _add_and_prove(app, owner, dns)
    dns.records[RECORD].append(f"shop-verification={theirs.verification_token}")
    # Kedai's check ran before Acme's proof landed: only the unique index stands in the way.
    monkeypatch.setattr(shop_domains, "_verified_elsewhere", lambda hostname, reseller_id: False)
    refused = _post(kedai, f"/console/domains/{theirs.number}/verify")
    assert refused.status_code == 400 and "already verified by another shop" in refused.text
    assert _domain(app, NEW, "kedai").verified_at is None


def test_removing_a_domain_stops_serving_it_at_once(app, owner, client_for) -> None:
    assert client_for("shop.acme-hosting.test").get("/").status_code == 200
    assert _reset_link_host(app, client_for) == "shop.acme-hosting.test"
    domain = _domain(app, "shop.acme-hosting.test")
    page = owner.get("/console/domains").text
    assert "Yes, remove shop.acme-hosting.test" in page
    assert "links and emails go back to acme.localhost" in page
    response = _post(owner, f"/console/domains/{domain.number}/remove", follow_redirects=True)
    assert "shop.acme-hosting.test removed" in response.text
    assert client_for("shop.acme-hosting.test").get("/").status_code == 404
    assert client_for(ACME).get("/").status_code == 200
    assert _reset_link_host(app, client_for) == ACME
    assert _audited(app, "domain_remove") == ["shop.acme-hosting.test"]


def test_make_primary_moves_emailed_links_to_that_domain(app, owner, client_for, dns) -> None:
    assert not app.config["SHOP_URLS_ON_SLUG_HOST"]
    domain = _add(app, owner)
    early = _post(owner, f"/console/domains/{domain.number}/primary")
    assert early.status_code == 400 and "only a verified domain can be primary" in early.text
    assert _reset_link_host(app, client_for) == "shop.acme-hosting.test"
    _prove(app, owner, dns, domain)
    response = _post(owner, f"/console/domains/{domain.number}/primary", follow_redirects=True)
    assert f"Links and emails now use {NEW}" in response.text
    assert _reset_link_host(app, client_for) == NEW
    assert not _domain(app, "shop.acme-hosting.test").is_primary
    assert client_for("shop.acme-hosting.test").get("/").status_code == 200  # still serves
    assert _audited(app, "domain_primary") == [NEW]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("203.0.113.7", "not an IP address"),
        ("[2001:db8::1]", "not an IP address"),
        ("x", "not a valid domain name"),
        ("a..b", "not a valid domain name"),
        ("-shop.example.com", "not a valid domain name"),
        ("", "Please enter a domain name"),
        ("a" * 300, "at most 253 characters"),
        ("a" * 64 + ".com", "not a valid domain name"),
        ("<script>alert(1)</script>.com", "not a valid domain name"),
        ("shop.localhost", "Names under localhost are given out"),
        ("staff.localhost", "Names under localhost are given out"),
        ("webserver.com.my", "reserved"),
        ("mail.WebServer.com.my", "reserved"),
        ("shop.acme-hosting.test", "already on your list"),
    ],
)
def test_bad_names_are_refused_and_nothing_is_written(app, owner, name: str, message: str) -> None:
    before = _count(app, Domain)
    response = _post(owner, "/console/domains", {"hostname": name})
    assert response.status_code == 400
    assert message in response.text
    assert "<script>alert" not in response.text
    assert _count(app, Domain) == before and not _audited(app, "domain_add")


def test_the_staff_host_is_refused_wherever_it_lives(app, owner) -> None:
    app.config["STAFF_HOST"] = "admin.panel-host.test"
    for name in ("admin.panel-host.test", "x.admin.panel-host.test"):
        response = _post(owner, "/console/domains", {"hostname": name})
        assert response.status_code == 400 and "reserved" in response.text
    assert _domain(app, "admin.panel-host.test") is None


def test_another_shops_domain_numbers_are_not_found_and_nothing_changes(app, owner) -> None:
    with app.app_context():
        kedai = db.session.scalar(select(Reseller).where(Reseller.slug == "kedai"))
        for name in ("kedai-two.test", "kedai-three.test"):
            db.session.add(Domain(reseller_id=kedai.id, hostname=name, verification_token="t" * 16))
        db.session.commit()
    theirs = _domain(app, "kedai-three.test", "kedai")
    with app.app_context():
        acme = db.session.scalars(select(Domain.number).join(Reseller).where(Reseller.slug == "acme")).all()
    assert theirs.number not in acme  # a number only Kedai has given
    for action in ("verify", "primary", "remove"):
        response = _post(owner, f"/console/domains/{theirs.number}/{action}")
        assert response.status_code == 404, action
    assert _post(owner, "/console/domains/99999999999/remove").status_code == 404
    after = _domain(app, "kedai-three.test", "kedai")
    assert after is not None and not after.is_primary and after.verified_at is None


def test_extra_fields_and_missing_csrf(app, owner) -> None:
    kedai_id = _domain(app, "kedaihosting.test", "kedai").reseller_id
    sneaky = {"hostname": NEW, "reseller_id": kedai_id, "verified_at": "2024-01-01", "is_primary": "1"}
    assert _post(owner, "/console/domains", sneaky).status_code == 303
    added = _domain(app, NEW)
    assert added.verified_at is None and not added.is_primary and _domain(app, NEW, "kedai") is None
    unsigned = owner.post("/console/domains", data={"hostname": "other.example.com"})
    assert unsigned.status_code == 400 and _domain(app, "other.example.com") is None


def test_agents_are_refused(app, demo, client_for) -> None:
    with app.app_context():
        reseller_id = db.session.scalar(select(Reseller.id).where(Reseller.slug == "acme"))
        agent = TeamMember(reseller_id=reseller_id, email=AGENT_EMAIL, name="Siti", role=TeamRole.AGENT)
        agent.set_password("storefront-demo")
        db.session.add(agent)
        db.session.commit()
    client = client_for(ACME)
    team_sign_in(client, AGENT_EMAIL)
    assert client.get("/console/domains").status_code == 403
    token = csrf_from(client.get("/console/tickets").text)
    domain = _domain(app, "shop.acme-hosting.test")
    for path in (
        "/console/domains",
        f"/console/domains/{domain.number}/remove",
        "/console/domains/nameservers",
    ):
        data = {"hostname": NEW, "nameserver": ["ns1.example.com", "ns2.example.com"], "csrf_token": token}
        assert client.post(path, data=data).status_code == 403
    assert _domain(app, "shop.acme-hosting.test") is not None and _domain(app, NEW) is None


@pytest.mark.parametrize("hold_port", [silent_udp_port, None], ids=["never answers", "closed port"])
def test_a_dns_timeout_gets_a_clear_message_fast(app, owner, client_for, hold_port) -> None:
    domain = _add(app, owner)
    app.config.update(DNS_RESOLVER_ADDRESSES=["127.0.0.1"], DNS_TIMEOUT_SECONDS=0.5)

    def verify():
        started = time.monotonic()
        response = _post(owner, f"/console/domains/{domain.number}/verify")
        return response, time.monotonic() - started

    if hold_port is None:
        app.config["DNS_RESOLVER_PORT"] = closed_udp_port()
        response, took = verify()
    else:
        with hold_port() as port:
            app.config["DNS_RESOLVER_PORT"] = port
            response, took = verify()
    assert response.status_code == 400 and took < 3
    assert f"Looking up {RECORD} took longer than 0.5 seconds" in response.text
    assert "try again" in response.text and _domain(app, NEW).verified_at is None
    assert client_for(NEW).get("/").status_code == 404


def test_htmx_gets_the_updated_part_of_the_page(app, owner, dns) -> None:
    htmx = {"HX-Request": "true"}
    added = _post(owner, "/console/domains", {"hostname": NEW}, headers=htmx)
    assert added.status_code == 200 and added.text.startswith('<section id="shop-domains"')
    assert RECORD in added.text and "<html" not in added.text
    domain = _domain(app, NEW)
    failed = _post(owner, f"/console/domains/{domain.number}/verify", headers=htmx)
    assert failed.status_code == 200 and "No record named" in failed.text and 'role="alert"' in failed.text
    saved = _post(
        owner,
        "/console/domains/nameservers",
        {"nameserver": ["ns3.acme-hosting.test", "ns4.acme-hosting.test"]},
        headers=htmx,
    )
    assert saved.status_code == 200 and saved.text.startswith('<section id="shop-nameservers"')
    assert "Nameservers saved" in saved.text and "ns4.acme-hosting.test" in saved.text
    part = owner.get("/console/domains?part=nameservers", headers=htmx)
    assert part.text.startswith('<section id="shop-nameservers"')


def test_the_page_costs_the_same_queries_with_many_domains(app, owner, count_queries) -> None:
    def queries() -> int:
        with count_queries() as statements:
            assert owner.get("/console/domains").status_code == 200
        return len(statements)

    few = queries()
    for index in range(8):
        _add(app, owner, f"shop{index}.example.com")
    assert queries() == few + 1  # the shop's new revision is read once, whole
    assert queries() == few


def _nameservers(app, slug: str = "acme") -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Nameserver.hostname)
                .join(Reseller, Reseller.id == Nameserver.reseller_id)
                .where(Reseller.slug == slug)
                .order_by(Nameserver.position)
            )
        )


def _active_service_for_aisyah(app, client_for):
    client, item, form = signed_in_with_cart(client_for, ACME, "aisyah@example.com")
    client.post(
        "/checkout", data=form | {f"choice-{item}": "register", f"domain-{item}": "aisyah-bakery.com.my"}
    )
    with app.app_context():
        mark_bank_transfer_paid(db.session.scalar(select(Invoice)), "MBB 0001", "staff:1")
        activate(db.session.scalar(select(Service.id)), "web1", "aisyahbk")
    return client


def test_new_nameserver_names_reach_customers_services(app, owner, client_for) -> None:
    customer = _active_service_for_aisyah(app, client_for)
    assert "ns1.acme-hosting.test" in customer.get("/account/services").text
    new = ["ns1.shop.acme-hosting.test", "ns2.shop.acme-hosting.test", "ns3.shop.acme-hosting.test"]
    names = {"nameserver": ["NS1.Shop.Acme-Hosting.test", *new[1:], ""]}
    response = _post(owner, "/console/domains/nameservers", names, follow_redirects=True)
    assert "Nameservers saved" in response.text
    assert _nameservers(app) == new
    assert "198.51.100.53" in response.text and "ns3.shop.acme-hosting.test" in response.text
    services = customer.get("/account/services").text
    assert "ns3.shop.acme-hosting.test" in services and "ns1.acme-hosting.test" not in services
    assert not find_leaks(app.config, services)
    assert _audited(app, "nameservers") == [", ".join(new)]


def test_nameservers_can_swap_places(app, owner) -> None:
    swapped = {"nameserver": ["ns2.acme-hosting.test", "ns1.acme-hosting.test"]}
    assert _post(owner, "/console/domains/nameservers", swapped).status_code == 303
    assert _nameservers(app) == ["ns2.acme-hosting.test", "ns1.acme-hosting.test"]


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["ns3.acme-hosting.test", ""], "at least two nameserver names"),
        (["ns3.acme-hosting.test", "NS3.acme-hosting.test."], "appears twice"),
        (["ns3.acme-hosting.test", "203.0.113.9"], "not an IP address"),
        (["ns3.acme-hosting.test", "ns2"], "not a valid domain name"),
        (["ns3.acme-hosting.test", "ns2.localhost"], "Names under localhost"),
        (["ns3.acme-hosting.test", "ns2.webserver.com.my"], "reserved"),
        (["ns3.acme-hosting.test", "ns1.kedaihosting.test"], "under a domain another shop has verified"),
        (["ns3.acme-hosting.test", "ns9.bluewave-web.test"], "under a domain another shop has verified"),
        (["ns3.acme-hosting.test", "bluewave-web.test"], "under a domain another shop has verified"),
        (["ns3.acme-hosting.test", "ns4.acme-dns.test"], "is not under a domain your shop has verified"),
        (["ns3.acme-hosting.test", "acme-hosting.test"], "is not under a domain your shop has verified"),
        ([f"ns{i}.acme-hosting.test" for i in range(1, 7)], "up to 4 nameservers"),
    ],
)
def test_bad_nameserver_names_are_refused_and_nothing_changes(app, owner, names, message) -> None:
    response = _post(owner, "/console/domains/nameservers", {"nameserver": names})
    assert response.status_code == 400 and message in response.text
    assert _nameservers(app) == ["ns1.acme-hosting.test", "ns2.acme-hosting.test"]
    assert _nameservers(app, "kedai") == ["ns1.kedaihosting.test", "ns2.kedaihosting.test"]
    assert f'value="{names[0]}"' in response.text  # what was typed stays in the form
    assert not _audited(app, "nameservers")
