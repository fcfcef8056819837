"""Email: the outbox written with each change, its delivery over SMTP, and (later) inbound mail."""

from __future__ import annotations

from .delivery import DeliveryReport, deliver_due
from .outbox import queue_email, send_templated

__all__ = ["DeliveryReport", "deliver_due", "queue_email", "send_templated"]
