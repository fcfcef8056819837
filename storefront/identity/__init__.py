"""Who signs in: customers, a shop's team, platform staff, second factors, account tokens and
password resets, and the Flask-Login wiring.

Above branding and mail; support, commerce and privacy build on it.
"""
