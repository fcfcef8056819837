"""Plain-text emails keep their lines apart: every kind, as the product queues it, is read line by line.

Each line a template writes starting with its own words (not a value) must start a line in the
email as sent; an include or a tag that swallows a line break joins it to the line before, as in
``Total: RM 348.00Your invoice INV-000001 is ready``.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from storefront.extensions import db
from storefront.identity import team
from storefront.models import Reseller, TeamMember, TeamRole
from tests.billing.helpers import queue_every_billing_email
from tests.privacy.test_purge_reaches_every_copy import customer_everywhere  # noqa: F401  (a fixture)
from tests.shop.helpers import outbox
from tests.steps import shop_id

TEMPLATES = Path(__file__).resolve().parents[2] / "storefront" / "templates" / "email"
TAG = re.compile(r"\{%-?.*?-?%\}")
INCLUDE = re.compile(r"""\{%-?\s*(?:include|extends)\s+["']email/([\w.]+)["']""")


def _kinds() -> list[str]:
    """Every email the product can send: each ``<kind>.txt`` that is not a partial or a subject."""
    return sorted(
        p.stem for p in TEMPLATES.glob("*.txt") if not p.name.startswith("_") and ".subject" not in p.name
    )


def _sources(kind: str) -> list[str]:
    """The template's source and every partial or layout it pulls in."""
    seen, queue = [], [f"{kind}.txt"]
    while queue:
        name = queue.pop()
        if name not in seen:
            seen.append(name)
            queue += INCLUDE.findall((TEMPLATES / name).read_text())
    return [(TEMPLATES / name).read_text() for name in seen]


def _line_starts(source: str) -> set[str]:
    """The template's own words that open a line: each line's text before its first value or tag."""
    starts = set()
    for line in source.splitlines():
        words = re.split(r"\{[{%]", TAG.sub("", line) if line.lstrip().startswith("{%") else line)[0]
        if len(words.strip()) >= 6:
            starts.add(words.rstrip())
    return starts


def _queue_team_emails(app) -> None:
    """An invitation and a second-factor reset: the two emails about the team only."""
    with app.app_context():
        shop = db.session.get(Reseller, shop_id(app))
        owner = db.session.scalar(
            select(TeamMember).where(TeamMember.reseller_id == shop.id, TeamMember.role == TeamRole.OWNER)
        )
        team.invite(shop, owner, "New Agent", "new.agent@example.com", TeamRole.AGENT)
        agent = db.session.scalar(select(TeamMember).where(TeamMember.email == "agent@acme-hosting.test"))
        agent.totp_secret, agent.totp_enabled_at = "JBSWY3DPEHPK3PXP", agent.created_at
        db.session.commit()
        team.reset_second_factor(shop, owner, agent)


def test_every_kind_of_text_email_keeps_its_lines_apart(app, customer_everywhere, client_for) -> None:  # noqa: F811
    _queue_team_emails(app)
    queue_every_billing_email(app, client_for)
    sent = {}
    for message in outbox(app):
        sent.setdefault(message.kind, message.text_body)
    assert set(_kinds()) - set(sent) == set(), "queue every kind of email in this test"
    joined = []
    for kind in _kinds():
        body = sent[kind]
        lines = body.splitlines()
        for words in set().union(*(_line_starts(source) for source in _sources(kind))):
            if words in body and not any(line.startswith(words) for line in lines):
                joined.append((kind, words))
    assert joined == []


def test_invoice_lines_and_total_each_have_their_own_line(app, customer_everywhere) -> None:  # noqa: F811
    [invoice] = [m.text_body for m in outbox(app, kind="invoice")]
    lines = invoice.splitlines()
    total = next(line for line in lines if line.strip().startswith("Total:"))
    assert re.fullmatch(r"  Total: RM \d+\.\d\d", total)
    assert "Pay by card or bank transfer" in lines[lines.index(total) + 2]
