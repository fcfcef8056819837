"""Hosting as a subscription: a service's life and the daily billing run.

Owns a service's life (its cycle, next due date, status and the history of every change, with the
verbs that change it: start, extend, suspend, unsuspend, terminate, cancel, end at term, schedule a
price change), renewal invoices (issued ahead of the due date, one per service and period, and what
paying one does), the daily billing run (renewals, reminders, suspension, termination warning and
termination, ending at term, cancelling unpaid new orders), recurring prices and price-change notices,
and each shop's billing schedule.

Between privacy and commerce: it issues invoices through commerce's rules and is told of payments by
``fulfilment``, which decides what a paid renewal invoice does by calling ``renewals.renewal_paid``;
commerce never imports billing.
"""
