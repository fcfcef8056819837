"""What a shop sells: its plans and offers, their retail prices, and the domain extensions it prices.

A capability above branding and mail: it reads shops and writes the audit trail, and imports
no other capability.
"""
