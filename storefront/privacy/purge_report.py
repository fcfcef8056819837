"""What a retention purge did to one shop: counts of what it anonymised, reduced and deleted."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class PurgeReport:
    """What the purge did (or, in a dry run, would do) in one shop."""

    shop: str
    accounts: int = 0
    tickets: int = 0
    messages: int = 0
    attachments: int = 0
    inbound_emails: int = 0
    sent_emails: int = 0
    invoices: int = 0
    credit_notes: int = 0
    registrations: int = 0
    corrections: int = 0
    tokens: int = 0

    def counts(self) -> dict[str, int]:
        """Every count by name."""
        return {field.name: getattr(self, field.name) for field in fields(self) if field.name != "shop"}

    def __bool__(self) -> bool:
        return any(self.counts().values())

    def add(self, other: PurgeReport) -> None:
        """Add another report's counts to this one's."""
        for name, count in other.counts().items():
            setattr(self, name, getattr(self, name) + count)

    def summary(self) -> str:
        """One line, for example ``2 accounts anonymised, 5 tickets anonymised (18 messages)``."""
        details = [_counted(self.messages, "message"), _counted(self.attachments, "attachment")]
        tickets = _counted(self.tickets, "ticket", " anonymised")
        if tickets and any(details):
            tickets += f" ({', '.join(part for part in details if part)})"
        parts = [
            _counted(self.accounts, "account", " anonymised"),
            tickets,
            _counted(self.invoices, "invoice", " reduced"),
            _counted(self.credit_notes, "credit note", " reduced"),
            _counted(self.registrations, "domain registration", " reduced"),
            _counted(self.inbound_emails, "received email", " reduced"),
            _counted(self.sent_emails, "sent email", " reduced"),
            _counted(self.corrections, "correction request", " redacted"),
            _counted(self.tokens, "emailed link", " deleted"),
        ]
        return ", ".join(part for part in parts if part) or "nothing past retention"


def _counted(count: int, noun: str, done: str = "") -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}{done}" if count else ""
