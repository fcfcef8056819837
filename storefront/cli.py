"""The ``storefront`` command: a Flask CLI group with the product's own commands."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from flask_migrate import upgrade

from . import create_app
from .addresses import InvalidEmail, normalise_email
from .billing.cli import billing_group
from .catalog.cli import plans_group
from .configuration import ConfigurationError
from .identity.shops_cli import shops_group
from .identity.staff import StaffExists, create_staff
from .models import StaffRole
from .privacy.cli import privacy_group
from .support.cli import tickets_group
from .support.inbound.cli import mail_group
from .worker import worker_command


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema to the newest migration."""
    upgrade()
    click.echo("Database is at the newest schema.")


@click.command("seed-demo")
@with_appcontext
@click.option("--port", default=5000, show_default=True, help="Port used in the printed URLs.")
@click.option(
    "--history/--no-history",
    default=True,
    show_default=True,
    help="Give each shop a dozen customers with a year of orders, renewals and tickets.",
)
def seed_demo_command(port: int, history: bool) -> None:
    """Load the demo shops, plans and accounts; only what is missing is created."""
    from .demo import demo_guide, seed_demo

    created = seed_demo(history=history)
    click.echo(f"Demo data: created {', '.join(created)}." if created else "Demo data already present.")
    click.echo(demo_guide(port))


@click.command("create-staff")
@with_appcontext
@click.argument("email")
@click.option("--name", default="", help="Display name (defaults to the email's local part).")
@click.option("--role", type=click.Choice([r.value for r in StaffRole]), default="support")
@click.password_option(help="Prompted for when not given.")
def create_staff_command(email: str, name: str, role: str, password: str) -> None:
    """Create a platform staff account."""
    try:
        email = normalise_email(email, allow_test_domains=current_app.config["EMAIL_ALLOW_TEST_DOMAINS"])
    except InvalidEmail as error:
        raise click.BadParameter(f"not a usable email address: {error}", param_hint="EMAIL") from None
    if len(password) < 12:
        raise click.BadParameter("use at least 12 characters", param_hint="password")
    try:
        staff = create_staff(email, name or email.split("@")[0], password, StaffRole(role))
    except StaffExists:
        raise click.ClickException(f"A staff account for {email} already exists.") from None
    click.echo(f"Created {staff.role.value} staff account {staff.email}.")


def register_commands(app: Flask) -> None:
    """Attach the product's commands to the app's CLI."""
    commands = (
        init_db_command,
        seed_demo_command,
        create_staff_command,
        mail_group,
        tickets_group,
        privacy_group,
        shops_group,
        plans_group,
        billing_group,
        worker_command,
    )
    for command in commands:
        app.cli.add_command(command)


def _create_app() -> Flask:
    """Build the app for a command; refused settings end the command with their message, not a trace."""
    try:
        return create_app()
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None


class StorefrontGroup(FlaskGroup):
    """Flask's command group, whose help shows refused settings as a message rather than a trace."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except click.ClickException as error:
            click.secho(f"Error: {error.format_message()}\n", err=True, fg="red")
            return sorted(click.Group.list_commands(self, ctx))  # the built-in commands only
        return super().list_commands(ctx)


main = StorefrontGroup(create_app=_create_app, help="Storefront: white-label hosting shops.")
