"""Typed SQLAlchemy models, one module per aggregate."""

from __future__ import annotations

from . import revisions  # noqa: F401  (registers the revision listeners)
from .account import Customer, StaffRole, StaffUser, TeamInvitation, TeamMember, TeamRole
from .account_credit import AccountCreditEntry, CreditSource
from .audit import AuditEntry
from .base import TenantScoped, utcnow
from .billing import BillingNotice
from .catalog import BillingCycle, Offer, OfferPrice, Plan, PlanPrice, Tld
from .credit_note import CreditNote, CreditNoteLine, CreditOutcome, RefundMethod
from .inbound import InboundEmail, InboundOutcome
from .invoice import Invoice, InvoiceLine, InvoicePurpose, InvoiceStatus
from .ledger import LedgerEntry
from .numbering import ShopCounter, ShopNumbered, next_number
from .order import DomainChoice, LineKind, Order, OrderLine, OrderStatus
from .outbox import OutboxMessage, OutboxStatus
from .payment import Payment, PaymentEvent, RefundDue
from .privacy import (
    Breach,
    BreachCustomer,
    BreachShop,
    ConsentEvent,
    CorrectionOutcome,
    CorrectionRequest,
    CorrectionStatus,
    Disclosure,
    LegalBasis,
    NoticeAcceptance,
    PrivacyNotice,
)
from .reseller import Domain, DomainOffer, Nameserver, Reseller
from .sales import SalesMonth
from .scoping import bind_tenant, current_tenant
from .second_factor import RecoveryCode
from .service import DomainRegistration, Service, ServiceEvent, ServiceStatus, SuspensionReason
from .ticket import Attachment, Author, Escalation, Ticket, TicketMessage, TicketStatus, TicketTier
from .token import AccountToken, PasswordResetRequest, TokenPurpose

__all__ = [
    "AccountCreditEntry",
    "CreditNote",
    "CreditNoteLine",
    "CreditOutcome",
    "CreditSource",
    "RefundMethod",
    "Breach",
    "BreachCustomer",
    "BreachShop",
    "ConsentEvent",
    "CorrectionOutcome",
    "CorrectionRequest",
    "CorrectionStatus",
    "Disclosure",
    "LegalBasis",
    "NoticeAcceptance",
    "PrivacyNotice",
    "RecoveryCode",
    "Attachment",
    "AuditEntry",
    "BillingNotice",
    "Author",
    "Escalation",
    "InboundEmail",
    "InboundOutcome",
    "Ticket",
    "TicketMessage",
    "TicketStatus",
    "TicketTier",
    "AccountToken",
    "DomainChoice",
    "DomainOffer",
    "DomainRegistration",
    "Invoice",
    "InvoiceLine",
    "InvoicePurpose",
    "InvoiceStatus",
    "LedgerEntry",
    "LineKind",
    "Order",
    "OrderLine",
    "OrderStatus",
    "OutboxMessage",
    "OutboxStatus",
    "PasswordResetRequest",
    "Payment",
    "PaymentEvent",
    "RefundDue",
    "Service",
    "ServiceEvent",
    "ServiceStatus",
    "SuspensionReason",
    "ShopCounter",
    "ShopNumbered",
    "Tld",
    "TokenPurpose",
    "BillingCycle",
    "Customer",
    "Domain",
    "Nameserver",
    "Offer",
    "OfferPrice",
    "Plan",
    "PlanPrice",
    "Reseller",
    "SalesMonth",
    "StaffRole",
    "StaffUser",
    "TeamInvitation",
    "TeamMember",
    "TeamRole",
    "TenantScoped",
    "bind_tenant",
    "current_tenant",
    "next_number",
    "utcnow",
]
