"""Screens shared by the console and the staff desk (the second-factor steps).

Web layer: below the ``console`` and ``staff`` blueprints, above every capability.
"""
