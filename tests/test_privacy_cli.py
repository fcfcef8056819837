"""``storefront privacy purge``: anonymises what is past retention and says what it did."""

from __future__ import annotations

from storefront.models import utcnow
from tests.privacy.retention_helpers import add_customer, add_invoice, add_ticket, months_ago, snapshot


def _past_retention(app) -> None:
    now = utcnow()
    acme = add_customer(app, "acme", "former@example.com", closed_at=months_ago(25, now))
    add_invoice(app, acme)
    add_ticket(app, "acme", customer_id=acme, opened_at=months_ago(30, now), closed_at=months_ago(29, now))
    add_ticket(
        app,
        "kedai",
        guest=("Ben", "ben@example.com"),
        opened_at=months_ago(40, now),
        closed_at=months_ago(30, now),
    )


def _purge(app, *options: str):
    result = app.test_cli_runner().invoke(args=["privacy", "purge", *options])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_purge_reports_each_shop_and_the_totals(app, demo) -> None:
    _past_retention(app)
    lines = _purge(app)
    expected = [
        "acme: 1 account anonymised, 1 ticket anonymised (3 messages, 1 attachment), 1 invoice reduced, "
        "1 domain registration reduced, 1 received email reduced, ",
        "kedai: 1 ticket anonymised (3 messages, 1 attachment), 1 received email reduced, ",
        "Total: 1 account anonymised, 2 tickets anonymised (6 messages, 2 attachments), 1 invoice reduced, "
        "1 domain registration reduced, 2 received emails reduced, ",
    ]
    assert len(lines) == len(expected)
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start) and line.endswith("sent emails reduced"), line


def test_purge_twice_finds_nothing_the_second_time(app, demo) -> None:
    _past_retention(app)
    _purge(app)
    after_first = snapshot(app)
    assert _purge(app) == ["Nothing past retention."]
    assert snapshot(app) == after_first


def test_a_dry_run_reports_and_changes_nothing(app, demo) -> None:
    _past_retention(app)
    before = snapshot(app)
    lines = _purge(app, "--dry-run")
    assert lines[0] == "Dry run: nothing was changed. A purge now would do this:"
    assert lines[1].startswith("acme: 1 account anonymised, 1 ticket anonymised")
    assert snapshot(app) == before
    assert _purge(app)[0] == lines[1]


def test_purge_with_nothing_past_retention(app, demo) -> None:
    assert _purge(app) == ["Nothing past retention."]
    assert _purge(app, "--dry-run") == [
        "Dry run: nothing was changed. A purge now would do this:",
        "Nothing past retention.",
    ]
