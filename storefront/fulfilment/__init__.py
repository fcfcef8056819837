"""What a paid invoice sets off (services, wholesale charges, domain registrations, emails) and the
staff's provisioning queue.

The highest capability: the one place that decides what a payment starts.
"""
