"""The ``storefront`` command: init-db through the migrations, seed-demo, create-staff."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select

from storefront import create_app
from storefront.extensions import db
from storefront.models import Customer, Offer, Plan, Reseller, StaffRole, StaffUser, TeamMember


def test_init_db_builds_the_schema_through_the_migrations(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {
        "reseller",
        "domain",
        "nameserver",
        "plan",
        "plan_price",
        "offer",
        "offer_price",
        "customer",
        "team_member",
        "staff_user",
        "alembic_version",
    } <= tables
    engine.dispose()
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0  # twice is harmless


def test_the_migrations_match_the_models(app) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def _counts() -> tuple[int, ...]:
    models = (Plan, Reseller, Offer, Customer, TeamMember, StaffUser)
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in models)


def test_seed_demo_gives_shops_seeded_earlier_their_agents(app) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo", "--no-history"])
    with app.app_context():
        db.session.execute(TeamMember.__table__.delete().where(TeamMember.email.like("agent@%")))
        db.session.commit()
    again = runner.invoke(args=["seed-demo", "--no-history"])
    assert "agent agent@kedaihosting.test" in again.output
    with app.app_context():
        agents = db.session.scalars(select(TeamMember.email).where(TeamMember.role == "agent")).all()
    assert sorted(agents) == ["agent@acme-hosting.test", "agent@bluewave-web.test", "agent@kedaihosting.test"]


def test_seed_demo_is_idempotent_and_prints_the_guide(app) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--no-history"])
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    for line in (
        "http://acme.localhost:5000/",
        "http://bluewave.localhost:5000/",
        "http://kedai.localhost:5000/",
        "http://staff.localhost:5000/",
        "aisyah@example.com",
        "weiming@example.net",
        "raj@example.org",
        "agent@acme-hosting.test (agent)",
        "storefront-demo",
    ):
        assert line in first.output
    with app.app_context():
        counts = _counts()
    assert counts == (5, 3, 10, 3, 6, 1)
    second = runner.invoke(args=["seed-demo", "--no-history"])
    assert "Demo data already present." in second.output
    with app.app_context():
        assert _counts() == counts


def test_create_staff_makes_an_account_that_can_sign_in(app, client_for) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-staff", "Ops@Platform.test", "--role", "billing", "--password", "a long enough secret"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        staff = db.session.scalar(select(StaffUser))
        assert (staff.email, staff.role) == ("ops@platform.test", StaffRole.BILLING)
    again = runner.invoke(args=["create-staff", "ops@platform.test", "--password", "a long enough secret"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_staff_refuses_a_short_password(app) -> None:
    result = app.test_cli_runner().invoke(args=["create-staff", "a@b.test", "--password", "short"])
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_create_staff_refuses_a_malformed_email(app) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-staff", "not-an-email", "--password", "a long enough secret"]
    )
    assert result.exit_code != 0
    assert "email" in result.output.lower()
