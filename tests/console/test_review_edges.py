"""Odd input found in review: each case answers with a message, never a 500, and writes nothing."""

from __future__ import annotations

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Reseller
from tests.shop.helpers import csrf_from
from tests.steps import console_rules, console_url, ids_of_shop
from tests.steps import owner_client as owner


def _persona(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Reseller.escalation_persona).where(Reseller.slug == "acme"))


def test_an_escalation_persona_with_control_characters_is_refused(app, demo, client_for) -> None:
    """The persona reaches customers' pages and emails; a NUL would also crash PostgreSQL."""
    before = _persona(app)
    team = owner(client_for)
    token = csrf_from(team.get("/console/settings/support").text)
    for persona in ("Escalations\x00team", "Escalations\x07team"):
        data = {"first_response_hours": "4", "follow_up_hours": "8", "escalation_persona": persona}
        refused = team.post("/console/settings/support", data=data | {"csrf_token": token})
        assert refused.status_code == 400 and "invisible control characters" in refused.text, persona
    assert _persona(app) == before


ODD_VALUES = ["", "a\x00b", "x" * 5000, "-1", "99999999999999999999999", "1e5", "<script>", "%ff"]
FIELDS = [
    *("q", "page", "sort", "status", "month", "plan", "cycle", "tld", "part", "theme", "file", "direction"),
    *("brand_name", "tagline", "support_email", "support_phone", "support_hours", "hostname", "nameserver"),
    *("color_primary", "color_accent", "color_background", "color_text", "reference", "role", "name"),
    *("email", "password", "confirm", "first_response_hours", "follow_up_hours", "escalation_persona"),
    *("price-1-monthly", "visible-1", "domain-com", "domain-nope"),
]


def test_every_console_route_answers_odd_input_without_a_500(app, demo, client_for) -> None:
    """Odd values (NUL included, which PostgreSQL refuses), repeated fields and bad bytes: 4xx, never 5xx."""
    team = owner(client_for)
    ids = ids_of_shop(app, "acme")
    token = csrf_from(team.get("/console/brand").text)
    failures = []
    for rule in console_rules(app):
        if rule.endpoint == "console.logout":
            continue
        url = console_url(rule, ids)
        for value in ODD_VALUES:
            if "GET" in rule.methods:
                repeated = [(name, value) for name in FIELDS] + [(name, "2") for name in FIELDS]
                for query in ({name: value for name in FIELDS}, repeated):
                    if team.get(url, query_string=query).status_code >= 500:
                        failures.append(("GET", url, value[:10]))
            if "POST" in rule.methods:
                data = {name: value for name in FIELDS} | {"csrf_token": token}
                if team.post(url, data=data).status_code >= 500:
                    failures.append(("POST", url, value[:10]))
        if team.get(f"{url}?q=%ff%fe&page=%ff&month=%ff&plan=%ff&tld=%ff").status_code >= 500:
            failures.append(("GET", url, "bad bytes"))
    assert not failures
