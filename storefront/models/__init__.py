"""Typed SQLAlchemy models, one module per aggregate."""

from __future__ import annotations

from . import revisions  # noqa: F401  (registers the revision listeners)
from .account import Customer, StaffRole, StaffUser, TeamMember, TeamRole
from .base import TenantScoped, utcnow
from .catalog import BillingCycle, Offer, OfferPrice, Plan, PlanPrice
from .reseller import Domain, Nameserver, Reseller
from .scoping import bind_tenant, current_tenant

__all__ = [
    "BillingCycle",
    "Customer",
    "Domain",
    "Nameserver",
    "Offer",
    "OfferPrice",
    "Plan",
    "PlanPrice",
    "Reseller",
    "StaffRole",
    "StaffUser",
    "TeamMember",
    "TeamRole",
    "TenantScoped",
    "bind_tenant",
    "current_tenant",
    "utcnow",
]
