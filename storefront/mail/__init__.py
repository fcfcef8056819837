"""Email infrastructure every capability uses: the outbox, its delivery over SMTP, rendering in the
shop's brand, and the parsing helpers; inbound mail itself belongs to ``support.inbound``."""

from __future__ import annotations

from .delivery import DeliveryReport, deliver_due
from .outbox import queue_email, send_templated

__all__ = ["DeliveryReport", "deliver_due", "queue_email", "send_templated"]
