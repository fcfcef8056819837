"""`storefront shops …` and `storefront plans …`: the admin desk's changes from the command line,
with the same checks; a refusal exits with status 1, says why and changes nothing."""

from __future__ import annotations

import getpass

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import AuditEntry, BillingCycle, Plan, Reseller, TeamInvitation
from tests.shop.helpers import outbox

OPEN = [
    "shops", "open", "sinar",
    "--brand-name", "Sinar Hosting",
    "--legal-name", "Sinar Digital Sdn Bhd",
    "--support-email", "help@sinar.test",
    "--owner-name", "Nurul Huda",
    "--owner-email", "nurul@sinar.test",
]  # fmt: skip


@pytest.fixture
def run(app, demo):
    """Run a `storefront` command; return its result."""
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def actions(app, subject: str) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.reason)
            .where(AuditEntry.record == subject)
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


def test_open_list_edit_a_shop_and_invite_its_owner(app, run) -> None:
    result = run(*OPEN)
    assert result.exit_code == 0, result.output
    assert "Opened Sinar Hosting (sinar); nurul@sinar.test has an invitation" in result.output
    assert len(outbox(app, to="nurul@sinar.test", kind="team_invitation")) == 1
    listing = run("shops", "list").output
    assert "sinar\tSinar Hosting\topen" in listing and "acme\tAcme Hosting\topen" in listing
    edited = run("shops", "edit", "sinar", "--legal-name", "Sinar Web Sdn Bhd")
    assert edited.exit_code == 0 and "changed legal_name" in edited.output
    with app.app_context():
        shop = db.session.scalar(select(Reseller).where(Reseller.slug == "sinar"))
        assert (shop.legal_name, shop.brand_name) == ("Sinar Web Sdn Bhd", "Sinar Hosting")
    again = run("shops", "invite-owner", "sinar", "--name", "Other", "--email", "other@sinar.test")
    assert again.exit_code == 0 and len(outbox(app, to="other@sinar.test", kind="team_invitation")) == 1
    actor = f"cli:{getpass.getuser()}"
    assert actions(app, f"reseller:{shop.id}") == [
        (actor, "open_shop", "sinar"),
        (actor, "edit_shop", "legal_name: 'Sinar Digital Sdn Bhd' to 'Sinar Web Sdn Bhd'"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*OPEN[:2], "acme", *OPEN[3:]], "Another shop already has the slug acme"),
        ([*OPEN[:-1], "not-an-email"], "valid email address for the owner"),
        ([*OPEN[:5], *OPEN[7:]], "--legal-name is required"),
        (["shops", "edit", "nowhere", "--brand-name", "X"], "No shop has the slug nowhere"),
        (
            ["shops", "edit", "acme", "--brand-name", "WebServer"],
            "customers must never learn who hosts the shop",
        ),
    ],
)
def test_shop_commands_refuse_bad_input_and_change_nothing(app, run, args: list[str], message: str) -> None:
    with app.app_context():
        before = (
            db.session.scalar(select(func.count()).select_from(Reseller)),
            db.session.scalar(select(func.count()).select_from(TeamInvitation)),
        )
        brand = db.session.scalar(select(Reseller.brand_name).where(Reseller.slug == "acme"))
    result = run(*args)
    assert result.exit_code != 0 and message in result.output
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Reseller)),
            db.session.scalar(select(func.count()).select_from(TeamInvitation)),
        ) == before
        assert db.session.scalar(select(Reseller.brand_name).where(Reseller.slug == "acme")) == brand


def test_add_edit_retire_and_reinstate_a_plan(app, run) -> None:
    added = run(
        "plans",
        "add",
        "ultra",
        "--name",
        "Ultra",
        "--feature",
        "50 GB",
        "--monthly",
        "40",
        "--annually",
        "400",
    )
    assert added.exit_code == 0, added.output
    edited = run("plans", "edit", "ultra", "--monthly", "42.50", "--summary", "For busy shops.")
    assert edited.exit_code == 0 and "changed summary, monthly price" in edited.output
    with app.app_context():
        plan = db.session.scalar(select(Plan).where(Plan.code == "ultra"))
        assert plan.features == ["50 GB"] and plan.name == "Ultra"
        assert {p.cycle: p.amount_minor for p in plan.prices} == {
            BillingCycle.MONTHLY: 4250,
            BillingCycle.ANNUALLY: 40000,
        }
    assert "ultra\tUltra\ton sale\tmonthly RM 42.50, annually RM 400.00" in run("plans", "list").output
    assert "ultra is retired." in run("plans", "retire", "ultra").output
    assert "ultra was already retired." in run("plans", "retire", "ultra").output
    assert "ultra\tUltra\tretired" in run("plans", "list").output
    assert "ultra is on sale again." in run("plans", "reinstate", "ultra").output
    actor = f"cli:{getpass.getuser()}"
    assert [entry[1] for entry in actions(app, f"plan:{plan.id}")] == [
        "create_plan",
        "update_plan",
        "retire_plan",
        "reinstate_plan",
    ]
    assert {entry[0] for entry in actions(app, f"plan:{plan.id}")} == {actor}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plans", "add", "starter", "--name", "Again", "--monthly", "5"], "already exists"),
        (["plans", "add", "fresh", "--name", "Fresh"], "at least one billing cycle"),
        (
            ["plans", "add", "fresh", "--name", "Fresh", "--monthly", "1.234"],
            "--monthly: A price has at most 2",
        ),
        (["plans", "edit", "starter", "--name", ""], "name of 1 to 80"),
        (["plans", "edit", "nothing", "--name", "X"], "No plan has the code nothing"),
        (["plans", "retire", "nothing"], "No plan has the code nothing"),
    ],
)
def test_plan_commands_refuse_bad_input_and_change_nothing(app, run, args: list[str], message: str) -> None:
    with app.app_context():
        before = db.session.execute(select(Plan.code, Plan.name, Plan.active).order_by(Plan.code)).all()
    result = run(*args)
    assert result.exit_code != 0 and message in result.output
    with app.app_context():
        assert (
            db.session.execute(select(Plan.code, Plan.name, Plan.active).order_by(Plan.code)).all() == before
        )
