"""Shop numbers: every numbered record counts per shop from 1, gapless and unique however it is
written (one at a time, in bulk, or from many connections at once), and the migration numbers the
rows that existed before it."""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, insert, inspect, select, text

from storefront import create_app
from storefront.extensions import db
from storefront.models import Customer, Reseller, ShopCounter, Ticket
from storefront.support.tickets import TicketError, open_ticket
from tests.steps import customer_id, make_ticket, shop_id


def _numbers(app, model, slug: str) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(model.number).where(model.reseller_id == shop_id(app, slug)).order_by(model.id)
            )
        )


def test_each_shop_counts_its_tickets_from_one(app, demo) -> None:
    for slug, email in (("acme", "aisyah@example.com"), ("kedai", "raj@example.org")) * 2:
        make_ticket(app, slug, email)
    assert _numbers(app, Ticket, "acme") == [1, 2] and _numbers(app, Ticket, "kedai") == [1, 2]


def test_a_number_given_back_by_a_rollback_is_taken_again(app, demo) -> None:
    make_ticket(app)
    with app.app_context():
        reseller = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
        customer = db.session.get(Customer, customer_id(app))
        open_ticket(reseller, "Rolled back", "This one never happened.", customer=customer)
        db.session.rollback()
        with pytest.raises(TicketError):
            open_ticket(reseller, "", "No subject: refused before it is written.", customer=customer)
        db.session.rollback()
    make_ticket(app)
    assert _numbers(app, Ticket, "acme") == [1, 2]


def test_bulk_inserts_take_numbers_per_shop_in_row_order(app, demo) -> None:
    acme, kedai = shop_id(app, "acme"), shop_id(app, "kedai")
    rows = [
        {"reseller_id": shop, "email": f"bulk{i}@example.com", "name": "Bulk", "password_hash": "!"}
        for i, shop in enumerate([acme, kedai, acme, acme, kedai])
    ]
    with app.app_context():
        db.session.execute(insert(Customer), rows)
        db.session.commit()
    with app.app_context():  # one row alone takes its number too
        db.session.execute(insert(Customer), rows[0] | {"email": "single@example.com"})
        db.session.commit()
    # The demo gave each shop one customer first.
    assert _numbers(app, Customer, "acme") == [1, 2, 3, 4, 5] and _numbers(app, Customer, "kedai") == [
        1,
        2,
        3,
    ]
    make_ticket(app)
    with app.app_context():
        counters = dict(
            db.session.execute(
                select(ShopCounter.name, ShopCounter.next_number).where(ShopCounter.reseller_id == acme)
            ).all()
        )
    assert counters["customer"] == 6 and counters["ticket"] == 2


@pytest.mark.postgres
def test_concurrent_tickets_in_one_shop_take_gapless_unique_numbers(app, demo) -> None:
    racers = 8
    barrier, failures = threading.Barrier(racers), []

    def open_one(index: int) -> None:
        try:
            with app.app_context():
                reseller = db.session.scalar(select(Reseller).where(Reseller.slug == "acme"))
                customer = db.session.scalar(
                    select(Customer).where(
                        Customer.email == "aisyah@example.com", Customer.reseller_id == reseller.id
                    )
                )
                barrier.wait()
                open_ticket(reseller, f"Race {index}", "At the same moment.", customer=customer)
                db.session.commit()
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=open_one, args=(index,)) for index in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(_numbers(app, Ticket, "acme")) == list(range(1, racers + 1))


# The migration, on a database that has rows from before shop numbers.

_SHOP = (
    "INSERT INTO reseller (id, slug, active, revision, brand_name, legal_name, tagline, postal_address,"
    " theme, color_primary, color_accent, color_background, color_text, support_email, support_phone,"
    " support_hours, first_response_hours, follow_up_hours, escalation_persona, timezone, currency,"
    " created_at) VALUES"
    " ({id}, '{slug}', TRUE, 1, 'B', 'L', '', '', 'default', '#000000', '#000000', '#ffffff', '#000000',"
    " 'help@{slug}.test', '', '', 4, 24, 'Team', 'UTC', 'MYR', CURRENT_TIMESTAMP)"
)
OLD_ROWS = [
    _SHOP.format(id=1, slug="one"),
    _SHOP.format(id=2, slug="two"),
    "INSERT INTO customer (id, reseller_id, email, name, password_hash, auth_epoch, created_at) VALUES"
    " (1, 2, 'a@x.test', 'A', '!', 0, CURRENT_TIMESTAMP), (2, 1, 'b@x.test', 'B', '!', 0, CURRENT_TIMESTAMP),"
    " (3, 2, 'c@x.test', 'C', '!', 0, CURRENT_TIMESTAMP), (4, 2, 'd@x.test', 'D', '!', 0, CURRENT_TIMESTAMP)",
    'INSERT INTO "order" (id, reseller_id, customer_id, status, currency, total_minor, idempotency_key,'
    " created_at) VALUES (7, 2, 1, 'paid', 'MYR', 100, 'key-seven-xxxxxxxx', CURRENT_TIMESTAMP),"
    " (8, 1, 2, 'paid', 'MYR', 100, 'key-eight-xxxxxxxx', CURRENT_TIMESTAMP),"
    " (9, 2, 3, 'paid', 'MYR', 100, 'key-nine-xxxxxxxxx', CURRENT_TIMESTAMP)",
    "INSERT INTO invoice_counter (reseller_id, next_number) VALUES (1, 4), (2, 9)",
    "INSERT INTO ticket (id, reseller_id, customer_id, subject, status, tier, priority, reply_token,"
    " created_at, updated_at) VALUES"
    " (5, 1, 2, 'x', 'open', 'reseller', 0, 't5', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),"
    " (6, 2, 1, 'y', 'open', 'reseller', 0, 't6', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO correction_request (id, reseller_id, customer_id, record, details, status, due_at, answer,"
    " created_at) VALUES (3, 2, 3, 'order:9', 'Fix it', 'open', CURRENT_TIMESTAMP, '', CURRENT_TIMESTAMP),"
    " (4, 2, 4, 'other', 'Fix it', 'open', CURRENT_TIMESTAMP, '', CURRENT_TIMESTAMP)",
]


def _migrated(url: str) -> dict:
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as connection:
            for statement in OLD_ROWS:
                connection.execute(text(statement))
        upgrade()
        with db.engine.connect() as connection:

            def rows(sql: str) -> list[tuple]:
                return [tuple(row) for row in connection.execute(text(sql))]

            found = {
                "customers": rows("SELECT id, number FROM customer ORDER BY id"),
                "orders": rows('SELECT id, number FROM "order" ORDER BY id'),
                "tickets": rows("SELECT id, number FROM ticket ORDER BY id"),
                "corrections": rows("SELECT id, number, record FROM correction_request ORDER BY id"),
                "counters": rows("SELECT reseller_id, name, next_number FROM shop_counter ORDER BY 1, 2"),
                "tables": set(inspect(connection).get_table_names()),
            }
        db.engine.dispose()
    return found


def _database_for_the_migration(tmp_path: Path) -> tuple[str, object]:
    """A database at no revision: a SQLite file, or a new schema of the PostgreSQL test database."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'old.db'}", None
    schema = f"migration_{secrets.token_hex(4)}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    return f"{url}?options=-csearch_path%3D{schema}", (engine, schema)


def test_the_migration_numbers_existing_rows_per_shop_in_id_order(tmp_path) -> None:
    url, cleanup = _database_for_the_migration(tmp_path)
    try:
        found = _migrated(url)
    finally:
        if cleanup:
            engine, schema = cleanup
            with engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            engine.dispose()
    assert found["customers"] == [(1, 1), (2, 1), (3, 2), (4, 3)]
    assert found["orders"] == [(7, 1), (8, 1), (9, 2)]
    assert found["tickets"] == [(5, 1), (6, 1)]
    assert found["corrections"] == [(3, 1, "order:2"), (4, 2, "other")]  # order 9 is shop two's order 2
    counters = found["counters"]
    assert (1, "invoice", 4) in counters and (2, "invoice", 9) in counters
    assert (2, "customer", 4) in counters and (2, "order", 3) in counters and (1, "ticket", 2) in counters
    assert (2, "correction", 3) in counters
    assert "invoice_counter" not in found["tables"]
