"""Upgrading to the sales by month counts the invoices already paid, in each shop's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import SalesMonth
from tests.console.test_home import add_sales
from tests.steps import shop_id, upgraded_demo_app

KL = ZoneInfo("Asia/Kuala_Lumpur")


def test_the_upgrade_counts_invoices_paid_before_it(tmp_path) -> None:
    app = upgraded_demo_app(tmp_path / "upgrade.db")
    march_in_kl = datetime(2031, 3, 1, 0, 10, tzinfo=KL)  # still February in UTC
    add_sales(
        app, "acme", [(march_in_kl, 1_000), (march_in_kl, 2_000), (datetime(2031, 2, 3, tzinfo=KL), 500)]
    )
    add_sales(app, "kedai", [(march_in_kl, 7_000), (None, 9_000)])
    with app.app_context():
        rows = lambda: sorted(db.session.execute(select(SalesMonth.__table__)).tuples())  # noqa: E731
        counted = rows()
        db.session.commit()
        downgrade(revision="0010")
        upgrade()
        recounted = rows()
        db.engine.dispose()
    acme, kedai = shop_id(app, "acme"), shop_id(app, "kedai")
    assert counted == sorted(
        [(acme, 2031, 3, "MYR", 3_000, 2), (acme, 2031, 2, "MYR", 500, 1), (kedai, 2031, 3, "MYR", 7_000, 1)]
    )
    assert recounted == counted
