"""A shop's face: finding it by host name, its links, brand colours, logos and theme, its own host
names and their verification, and the white-label guard.

The lowest capability (mail renders in the shop's brand); ``domains/`` is left free for registrar
work.
"""
