"""Buying and paying: carts, orders, invoices, payments and refunds, the statement, the order book
and the customer directory.

Above support, identity and catalog. A payment is recorded here and announced on
``payments.invoice_paid``; what it sets off is decided above, in ``fulfilment``, so commerce never
imports the capabilities it triggers.
"""
