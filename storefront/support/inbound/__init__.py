"""Inbound mail: the listener, sender authentication, routing mail into tickets, held mail and its
triage.

Part of support: it opens and answers tickets; parsing helpers it shares stay in ``mail``.
"""
