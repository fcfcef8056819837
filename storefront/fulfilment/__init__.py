"""What a paid invoice sets off (services, wholesale charges, domain registrations, emails) and the
staff's provisioning queue.

The highest capability and the one place that decides what a payment starts: ``init_app``
subscribes ``fulfil_paid_invoice`` to commerce's ``invoice_paid`` signal, which commerce sends inside
the payment's transaction, so commerce never imports what it triggers. An order's invoice is fulfilled
here (``paid_orders``); a renewal invoice extends its service through ``billing.renewals``.
"""

from __future__ import annotations

from flask import Flask

from ..billing.renewals import renewal_paid
from ..commerce.payments import invoice_paid
from ..models import Invoice, InvoicePurpose
from .paid_orders import fulfil_paid_order


def fulfil_paid_invoice(invoice: Invoice) -> None:
    """Do what a paid invoice buys: an order's services and charges, or a service's next period."""
    if invoice.purpose == InvoicePurpose.RENEWAL:
        renewal_paid(invoice)
    else:
        fulfil_paid_order(invoice)


def init_app(app: Flask) -> None:
    """Fulfil every paid invoice in the payment's own transaction."""
    invoice_paid.connect(fulfil_paid_invoice, weak=False)
