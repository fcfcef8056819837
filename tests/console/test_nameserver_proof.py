"""Private nameservers lie under a domain the shop has proven, so no shop can take another's names."""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Domain, Nameserver, Reseller
from tests.console import test_domains as domains_page
from tests.console.test_domains import _add_and_prove, _domain, _nameservers, _post
from tests.steps import owner_client, shop_id

BLUEWAVE = "bluewave.localhost"
dns, owner = domains_page.dns, domains_page.owner  # the domains page's fixtures


def _save(client, names: list[str]):
    return _post(client, "/console/domains/nameservers", {"nameserver": names})


def test_a_shop_cannot_name_its_nameservers_under_a_domain_it_has_not_proven(app, demo, client_for) -> None:
    bluewave = owner_client(client_for, BLUEWAVE)
    refused = _save(bluewave, ["ns3.acme-dns.test", "ns4.acme-dns.test"])
    page = unescape(refused.text)
    assert refused.status_code == 400
    assert (
        "ns3.acme-dns.test is not under a domain your shop has verified. Name your nameservers under one "
        "of your verified domains (bluewave-web.test), for example ns1.bluewave-web.test." in page
    )
    assert 'value="ns3.acme-dns.test"' in refused.text  # what was typed stays in the form
    assert _nameservers(app, "bluewave") == ["ns1.bluewave-web.test", "ns2.bluewave-web.test"]
    assert _save(bluewave, ["ns3.bluewave-web.test", "ns4.bluewave-web.test"]).status_code == 303


def test_the_shop_that_proves_a_domain_gets_names_another_shop_took_before(
    app, owner, client_for, dns
) -> None:
    with app.app_context():  # written before names needed proof
        db.session.add(
            Nameserver(reseller_id=shop_id(app, "bluewave"), hostname="ns3.acme-dns.test", position=3)
        )
        db.session.commit()
    _add_and_prove(app, owner, dns, "acme-dns.test")
    assert _save(owner, ["ns3.acme-dns.test", "ns4.acme-dns.test"]).status_code == 303
    assert _nameservers(app) == ["ns3.acme-dns.test", "ns4.acme-dns.test"]
    assert _nameservers(app, "bluewave") == ["ns1.bluewave-web.test", "ns2.bluewave-web.test"]


def test_a_shop_without_a_verified_domain_is_told_to_prove_one_first(app, demo, client_for) -> None:
    with app.app_context():
        kedai = db.session.scalar(select(Reseller).where(Reseller.slug == "kedai"))
        for domain in kedai.domains:
            domain.verified_at = None
        db.session.commit()
    refused = _save(
        owner_client(client_for, "kedai.localhost"), ["ns3.kedaihosting.test", "ns4.kedaihosting.test"]
    )
    assert refused.status_code == 400
    assert "has none yet: add your own domain above and verify it" in unescape(refused.text)


def test_a_domain_the_nameservers_need_cannot_be_removed_until_they_move(app, owner) -> None:
    apex = _domain(app, "acme-hosting.test")
    refused = _post(owner, f"/console/domains/{apex.number}/remove")
    assert refused.status_code == 400
    assert (
        "Your nameserver ns1.acme-hosting.test is under acme-hosting.test: rename your nameservers to names "
        "under another verified domain first, then remove it." in unescape(refused.text)
    )
    assert _domain(app, "acme-hosting.test") is not None
    assert _save(owner, ["ns1.shop.acme-hosting.test", "ns2.shop.acme-hosting.test"]).status_code == 303
    assert _post(owner, f"/console/domains/{apex.number}/remove").status_code == 303
    assert _domain(app, "acme-hosting.test") is None


def test_every_demo_shops_nameservers_lie_under_its_verified_domains(app, full_demo) -> None:
    with app.app_context():
        shops = db.session.scalars(select(Reseller)).all()
        assert {shop.slug for shop in shops} == {"acme", "bluewave", "kedai"}
        for shop in shops:
            proven = [domain.hostname for domain in shop.domains if domain.verified_at is not None]
            assert len(shop.nameservers) >= 2
            for nameserver in shop.nameservers:
                assert any(nameserver.hostname.endswith(f".{domain}") for domain in proven), (
                    nameserver.hostname
                )
        assert db.session.scalar(select(Domain.is_primary).where(Domain.hostname == "shop.acme-hosting.test"))
