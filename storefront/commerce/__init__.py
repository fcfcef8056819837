"""Buying and paying: carts, orders, invoices, payments and refunds, the statement and order book.

Above catalog, identity and support.
"""
