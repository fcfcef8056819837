"""The ``storefront plans`` commands: list, add, change, retire and reinstate wholesale plans, with
the same checks as the admin desk. A refusal prints its message and exits with status 1; nothing is
saved."""

from __future__ import annotations

import getpass

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..models import BillingCycle, Plan
from ..money import format_money
from .plan_admin import Actor, PlanDraft, PlanError, create_plan, find_plan, set_plan_on_sale, update_plan
from .pricing import PriceError, parse_money

plans_group = AppGroup("plans", help="The platform's wholesale plans.")


def _actor() -> Actor:
    return Actor(f"cli:{getpass.getuser()}", "cli")


def plan_options(command):
    """The options ``add`` and ``edit`` share: texts, features and a price per cycle."""
    command = click.option("--summary", help="One or two sentences shops show.")(command)
    command = click.option("--name", help="The plan's name.")(command)
    command = click.option("--feature", "features", multiple=True, help="A feature; repeat for each.")(
        command
    )
    for cycle in BillingCycle:
        command = click.option(
            f"--{cycle.value}",
            f"price_{cycle.value}",
            help=f"Wholesale price per {cycle.value} cycle, in RM.",
        )(command)
    return command


def _prices(options: dict) -> dict[BillingCycle, int]:
    prices = {}
    for cycle in BillingCycle:
        text = options.get(f"price_{cycle.value}")
        if text is not None:
            try:
                prices[cycle] = parse_money(text)
            except PriceError as error:
                raise click.ClickException(f"--{cycle.value}: {error}") from None
    return prices


def _plan(code: str) -> Plan:
    plan = find_plan(code)
    if plan is None:
        raise click.ClickException(f"No plan has the code {code}.")
    return plan


@plans_group.command("list")
def list_command() -> None:
    """Every plan: code, name, on sale or retired, and its wholesale prices."""
    for plan in db.session.scalars(select(Plan).order_by(Plan.code)):
        prices = ", ".join(
            f"{price.cycle.value} {format_money(price.amount_minor, price.currency)}"
            for price in sorted(plan.prices, key=lambda price: price.cycle.months)
        )
        click.echo(f"{plan.code}\t{plan.name}\t{'on sale' if plan.active else 'retired'}\t{prices}")


@plans_group.command("add")
@click.argument("code")
@plan_options
def add_command(
    code: str, name: str | None, summary: str | None, features: tuple[str, ...], **prices
) -> None:
    """Add a plan on sale to every shop's price list."""
    draft = PlanDraft(name or "", summary or "", list(features), _prices(prices))
    try:
        plan = create_plan(code, draft, _actor())
    except PlanError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Added {plan.code}: {plan.name}.")


@plans_group.command("edit")
@click.argument("code")
@plan_options
def edit_command(
    code: str, name: str | None, summary: str | None, features: tuple[str, ...], **prices
) -> None:
    """Change a plan's texts or prices; options left out stay as they are (--feature replaces the list)."""
    plan = _plan(code)
    saved = {price.cycle: price.amount_minor for price in plan.prices}
    draft = PlanDraft(
        name if name is not None else plan.name,
        summary if summary is not None else plan.summary,
        list(features) if features else list(plan.features),
        {**saved, **_prices(prices)},
    )
    try:
        changed = update_plan(plan, draft, _actor())
    except PlanError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{plan.code}: changed {', '.join(changed)}." if changed else f"{plan.code}: nothing changed.")


@plans_group.command("retire")
@click.argument("code")
def retire_command(code: str) -> None:
    """Take a plan off every shop; services already on it keep renewing."""
    plan = _plan(code)
    changed = set_plan_on_sale(plan, False, _actor())
    click.echo(f"{plan.code} is retired." if changed else f"{plan.code} was already retired.")


@plans_group.command("reinstate")
@click.argument("code")
def reinstate_command(code: str) -> None:
    """Put a retired plan back on sale."""
    plan = _plan(code)
    changed = set_plan_on_sale(plan, True, _actor())
    click.echo(f"{plan.code} is on sale again." if changed else f"{plan.code} was already on sale.")
