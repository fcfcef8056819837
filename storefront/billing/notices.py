"""The billing run's emails and their notices: rendered in the shop's brand, inserted in bulk into the
outbox in the transaction that claims them (one ``BillingNotice`` row per invoice or service and trigger,
inserted with ON CONFLICT DO NOTHING, so each email goes once however many runs overlap)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite

from ..branding.links import shop_url
from ..branding.shops import ShopLike
from ..extensions import db
from ..jobs import wake_after_commit
from ..mail.outbox import DELIVERY_STEP, message_id_domain, outbox_row
from ..models import BillingNotice, OutboxMessage

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def day_text(day: date) -> str:
    """A date as emails and pages write it, for example ``31 Mar 2026``."""
    return f"{day.day} {day:%b %Y}"


def reminder_trigger(offset: int) -> str:
    """The notice of a reminder ``offset`` days from the due date ``reminder_-7``, ``due_0``…."""
    if offset < 0:
        return f"reminder_{offset}"
    return "due_0" if offset == 0 else f"overdue_{offset}"


class Mailer:
    """The emails of a run's batches for one shop; its links and Message-ID domain are looked up once,
    when the first email needs them."""

    def __init__(self, shop: ShopLike) -> None:
        self.shop = shop
        self.rows: list[dict[str, object]] = []

    @cached_property
    def base_url(self) -> str:
        """The shop's address on its primary domain."""
        return shop_url(self.shop, "")

    @cached_property
    def message_domain(self) -> str:
        """The domain of the shop's Message-IDs."""
        return message_id_domain(self.shop)

    def url(self, path: str) -> str:
        """Return an absolute link to ``path`` on the shop's primary domain."""
        return f"{self.base_url}{path}"

    def invoice_url(self, number: int) -> str:
        """Return the link to pay one of the shop's invoices."""
        return self.url(f"/account/invoices/{number}")

    def add(self, to: str, template: str, customer_id: int, **context: object) -> None:
        """Render one email about a customer for this batch."""
        self.rows.append(
            outbox_row(
                self.shop,
                to,
                template,
                customer_id=customer_id,
                message_domain=self.message_domain,
                **context,
            )
        )

    def flush(self) -> int:
        """Insert the batch's emails into the outbox (delivery wakes on commit); return how many."""
        count = len(self.rows)
        if self.rows:
            db.session.execute(insert(OutboxMessage), self.rows)
            wake_after_commit(db.session, DELIVERY_STEP)
            self.rows = []
        return count


# The renewal invoice's own notice: recorded with the run's date when it is issued.
ISSUED = "invoice_issued"


def claim_invoice_notices(
    shop_id: int, invoice_ids: Iterable[int], trigger: str, now: datetime, on_date: date | None = None
) -> set[int]:
    """Record ``trigger`` for each invoice not yet noticed (on the run's date ``on_date``, in the shop's
    calendar); return the invoices this call claimed."""
    rows = [
        {
            "reseller_id": shop_id,
            "invoice_id": invoice_id,
            "trigger": trigger,
            "sent_at": now,
            "on_date": on_date,
        }
        for invoice_id in invoice_ids
    ]
    table = BillingNotice.__table__
    return _claim(
        rows, [table.c.invoice_id, table.c.trigger], table.c.invoice_id.is_not(None), table.c.invoice_id
    )


def claim_service_notices(
    shop_id: int, services: Iterable[tuple[int, date]], trigger: str, now: datetime
) -> set[int]:
    """Record ``trigger`` for each (service, date) not yet noticed; return the services this call claimed."""
    rows = [
        {"reseller_id": shop_id, "service_id": service_id, "on_date": day, "trigger": trigger, "sent_at": now}
        for service_id, day in services
    ]
    table = BillingNotice.__table__
    return _claim(
        rows,
        [table.c.service_id, table.c.trigger, table.c.on_date],
        table.c.invoice_id.is_(None),
        table.c.service_id,
    )


def _claim(rows: list[dict], index_elements: list, index_where, returned) -> set[int]:
    if not rows:
        return set()
    table = BillingNotice.__table__
    full = [{"invoice_id": None, "service_id": None, "on_date": None, **row} for row in rows]
    statement = (
        _INSERTS[db.session.get_bind().dialect.name](table)
        .values(full)
        .on_conflict_do_nothing(index_elements=index_elements, index_where=index_where)
        .returning(returned)
    )
    return set(db.session.execute(statement).scalars())
