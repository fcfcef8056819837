"""What a paid invoice sets off (services, wholesale charges, domain registrations, emails) and the
staff's provisioning queue.

The highest capability and the one place that decides what a payment starts: ``init_app``
subscribes ``paid_orders.fulfil_paid_order`` to commerce's ``invoice_paid`` signal, which commerce
sends inside the payment's transaction, so commerce never imports what it triggers.
"""

from __future__ import annotations

from flask import Flask

from ..commerce.payments import invoice_paid
from .paid_orders import fulfil_paid_order


def init_app(app: Flask) -> None:
    """Fulfil every order whose invoice is paid, in the payment's own transaction."""
    invoice_paid.connect(fulfil_paid_order, weak=False)
