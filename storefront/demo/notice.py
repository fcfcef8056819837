"""Version 1 of each demo shop's privacy notice, written in the shop's own name."""

from __future__ import annotations

NOTICE = """\
This notice explains, as Malaysia's Personal Data Protection Act 2010 asks, what personal data \
{legal_name} collects as the data user responsible for it, why, who may see it, and how you can see \
and correct it. {legal_name} trades as {brand_name}.

What we collect

- Your name and email address, and your password, which we store only as a one-way hash.
- Your order details: the plans and domains you buy, your invoices and your payments.
- Your support tickets and the emails you send us.

Why we collect it

To open and protect your account, to provide and bill the services you order, to register the \
domains you ask for in your name, to answer your support requests, and to keep the accounting \
records the law requires. We ask only for what an order needs. We send you marketing only if you \
agree, and you can withdraw that agreement at any time.

Who we may disclose it to

- Domain registries, for the domains you register through us: they require the registrant's \
contact details.
- Payment processors, to take your payments.
- Authorities, when the law requires us to.

The companies that help us run our services handle your data only on our instructions. Within \
{brand_name}, only the staff who need your data for their work see it, and each access is logged. \
We record every disclosure, and you can see each one.

See and correct your data

You may ask to see the personal data we hold about you and to have it corrected. Once signed in, \
your privacy centre at /account/privacy lets you download everything we hold about you, fix your \
profile, see who looked at your data and what was disclosed, and ask us to correct anything you \
cannot edit yourself. We answer correction requests within 21 days.

How long we keep it

We keep your data while your account is open. When it is closed we keep your account for \
{account_months} months and your support tickets for {ticket_months} months, and then anonymise \
them. Invoices stay as long as tax law requires, with the personal details reduced.

Contact

For anything about your personal data, write to {support_email}."""


def demo_notice(reseller) -> str:
    """Return the demo shop's first privacy notice, naming the shop and its retention periods."""
    return NOTICE.format(
        legal_name=reseller.legal_name,
        brand_name=reseller.brand_name,
        support_email=reseller.support_email,
        account_months=reseller.retain_closed_accounts_months,
        ticket_months=reseller.retain_closed_tickets_months,
    )
