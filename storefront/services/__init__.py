"""Domain logic. Services take the reseller explicitly and never read the request."""
