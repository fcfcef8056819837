"""Tickets and their answers: the customer's and the team's threads, attachments, reminders, the
staff escalation queue, and inbound mail filed into tickets (``support.inbound``).

Above identity and branding; below commerce, which lists tickets in its customer directory.
"""
