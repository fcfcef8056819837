"""The ``storefront shops`` commands: list, open and change shops, and invite an owner, with the
same checks as the admin desk. A refusal prints its message and exits with status 1; nothing is saved."""

from __future__ import annotations

import getpass

import click
from flask.cli import AppGroup

from ..branding.shop_admin import ShopDraft, find_shop_by_slug
from ..identity.staff import shop_overview
from .shop_opening import ShopError, edit_shop, invite_shop_owner, open_shop
from .team import TeamError

shops_group = AppGroup("shops", help="The platform's shops.")
CLI_ROLE = "cli"


def cli_actor() -> str:
    """The audit log's name for whoever runs a command: the operating-system account."""
    return f"cli:{getpass.getuser()}"


def _details(options: dict, base: ShopDraft | None = None) -> ShopDraft:
    values = {name: options[name] for name in ShopDraft.__dataclass_fields__ if options.get(name) is not None}
    if base is not None:
        values = {**base.__dict__, **values}
    return ShopDraft(**values)


def shop_options(command):
    """The detail options ``open`` and ``edit`` share."""
    for name, help_text in reversed(
        [
            ("brand_name", "The name customers see."),
            ("legal_name", "The reseller's registered name, on invoices."),
            ("support_email", "Where customers write."),
            ("postal_address", "Printed on invoices."),
            ("support_phone", "The shop's phone number."),
            ("timezone", "The shop's time zone, for example Asia/Kuala_Lumpur."),
        ]
    ):
        command = click.option(f"--{name.replace('_', '-')}", name, help=help_text)(command)
    return command


@shops_group.command("list")
def list_command() -> None:
    """Every shop: slug, brand, whether it is open, hosts and number of offers."""
    for summary in shop_overview():
        shop = summary.reseller
        state = "open" if shop.active else "closed"
        hosts = ", ".join(summary.hosts) or "-"
        click.echo(f"{shop.slug}\t{shop.brand_name}\t{state}\t{hosts}\t{summary.offer_count} offers")


@shops_group.command("open")
@click.argument("slug")
@shop_options
@click.option("--owner-name", required=True, help="Who is to own the shop.")
@click.option("--owner-email", required=True, help="Where their invitation goes.")
def open_command(slug: str, owner_name: str, owner_email: str, **details) -> None:
    """Open a shop and email its owner an invitation to its console."""
    for name in ("brand_name", "legal_name", "support_email"):
        if not details.get(name):
            raise click.UsageError(f"--{name.replace('_', '-')} is required to open a shop.")
    try:
        shop = open_shop(slug, _details(details), owner_name, owner_email, cli_actor(), CLI_ROLE)
    except (ShopError, TeamError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Opened {shop.brand_name} ({shop.slug}); {owner_email} has an invitation to its console.")


@shops_group.command("edit")
@click.argument("slug")
@shop_options
def edit_command(slug: str, **details) -> None:
    """Change a shop's details (its slug stays); options left out stay as they are."""
    shop = find_shop_by_slug(slug)
    if shop is None:
        raise click.ClickException(f"No shop has the slug {slug}.")
    current = ShopDraft(
        shop.brand_name,
        shop.legal_name,
        shop.support_email,
        shop.postal_address,
        shop.support_phone,
        shop.timezone,
    )
    try:
        changed = edit_shop(shop, _details(details, current), cli_actor(), CLI_ROLE)
    except ShopError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{shop.slug}: changed {', '.join(changed)}." if changed else f"{shop.slug}: nothing changed.")


@shops_group.command("invite-owner")
@click.argument("slug")
@click.option("--name", required=True, help="The owner's name.")
@click.option("--email", required=True, help="Where the invitation goes.")
def invite_owner_command(slug: str, name: str, email: str) -> None:
    """Email an invitation to own a shop that has no owner (the first invitation expired)."""
    shop = find_shop_by_slug(slug)
    if shop is None:
        raise click.ClickException(f"No shop has the slug {slug}.")
    try:
        invite_shop_owner(shop, name, email, cli_actor(), CLI_ROLE)
    except (ShopError, TeamError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{email} has an invitation to own {shop.brand_name}.")
