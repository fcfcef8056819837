"""Web code the audiences share: the second-factor screens of the console and staff desk, and the
sign-in form pieces and checks every audience uses.

Web layer: below the ``shop``, ``console`` and ``staff`` blueprints, above every capability.
"""
