"""The email confirming a change the customer made to a service, in the shop's brand, through the outbox."""

from __future__ import annotations

from ..branding.links import shop_url
from ..branding.shops import ShopLike
from ..domain_names import display_domain
from ..extensions import db
from ..mail.outbox import send_templated
from ..models import Customer, Plan, Service


def confirm_change(shop: ShopLike, service: Service, change: str, **context: object) -> None:
    """Queue the ``service_change`` email saying what ``change`` did to the service."""
    customer = db.session.get(Customer, service.customer_id)
    send_templated(
        shop,
        customer.email,
        "service_change",
        about=customer,
        change=change,
        customer_name=customer.name,
        domain=display_domain(service.domain),
        plan_name=db.session.get(Plan, service.plan_id).name,
        service_url=shop_url(shop, f"/account/services/{service.number}"),
        **context,
    )
