"""Customers' personal data: the privacy notice, the privacy centre, exports, corrections, access
log, disclosures, breaches, retention and anonymisation, and audit search.

Above commerce, support and identity, whose records it reads, corrects and anonymises; only
fulfilment sits higher.
"""
