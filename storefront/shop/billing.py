"""Orders, invoices, credit notes and services in the account; paying an invoice; the gateway's callback."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..branding.theming import render_themed
from ..commerce import sandbox_gateway
from ..commerce.account_credit import credit_balances, credit_ledger
from ..commerce.credit_book import credit_notes_of_invoice, customer_credit_notes, find_customer_credit_note
from ..commerce.credit_notes import credit_note_label
from ..commerce.orders import find_invoice, list_invoices, list_orders, list_services
from ..commerce.payments import SANDBOX_CARD, enabled_gateways
from ..extensions import csrf
from ..fulfilment.paid_orders import shop_nameservers
from ..models import Invoice
from . import bp
from .account import customer_required


def _require_card_gateway() -> None:
    """The sandbox card gateway answers only where the deployment switched it on."""
    if SANDBOX_CARD.code not in enabled_gateways():
        abort(404)


def _my_invoice(number: int) -> Invoice:
    invoice = find_invoice(g.shop, current_user._get_current_object(), number)
    if invoice is None:
        abort(404)
    return invoice


@bp.get("/account/orders")
@customer_required
def orders() -> str:
    """The customer's orders."""
    return render_themed("account/orders.html", orders=list_orders(g.shop, current_user))


@bp.get("/account/invoices")
@customer_required
def invoices() -> str:
    """The customer's invoices, credit notes and account credit."""
    return render_themed(
        "account/invoices.html",
        invoices=list_invoices(g.shop, current_user),
        credit_notes=customer_credit_notes(g.shop, current_user),
        balances=credit_balances(g.shop.id, current_user.id),
        ledger=credit_ledger(g.shop.id, current_user.id),
        credit_note_label=credit_note_label,
    )


@bp.get("/account/invoices/<int(max=2147483647):number>")
@customer_required
def invoice(number: int) -> str:
    """One invoice, printable, with its credit notes and the ways to pay it while it is unpaid."""
    found = _my_invoice(number)
    return render_themed(
        "account/invoice.html",
        invoice=found,
        gateways=enabled_gateways(),
        credit_notes=credit_notes_of_invoice(found),
        credit_note_label=credit_note_label,
    )


@bp.get("/account/credit-notes/<int(max=2147483647):number>")
@customer_required
def credit_note(number: int) -> str:
    """One of the customer's credit notes, printable like an invoice."""
    found = find_customer_credit_note(g.shop, current_user._get_current_object(), number)
    if found is None:
        abort(404)
    note, invoice_number = found
    return render_themed(
        "account/credit_note.html",
        note=note,
        invoice_number=invoice_number,
        credit_note_label=credit_note_label,
    )


@bp.get("/account/services")
@customer_required
def services() -> str:
    """The customer's hosting, with the shop's own nameservers."""
    return render_themed(
        "account/services.html",
        services=list_services(g.shop, current_user),
        nameservers=shop_nameservers(g.shop.id),
    )


@bp.post("/account/invoices/<int(max=2147483647):number>/pay/card")
@customer_required
def pay_by_card(number: int) -> Response:
    """Go to the card gateway's hosted payment page."""
    _require_card_gateway()
    invoice = _my_invoice(number)
    if invoice.status != "issued":
        abort(409)
    return redirect(url_for("shop.card_page", token=sandbox_gateway.checkout_token(g.shop.id, number)), 303)


def _payable_invoice(token: str) -> Invoice:
    found = sandbox_gateway.read_checkout_token(token)
    if found is None or found[0] != g.shop.id:
        abort(404)
    invoice = find_invoice(g.shop, current_user._get_current_object(), found[1])
    if invoice is None:
        abort(404)
    return invoice


@bp.route("/pay/card/<token>", methods=["GET", "POST"])
@customer_required
def card_page(token: str) -> Response | str | tuple[str, int]:
    """The sandbox gateway's hosted page; paying sends its signed callback."""
    _require_card_gateway()
    invoice = _payable_invoice(token)
    if invoice.status != "issued":
        abort(409)
    if request.method == "GET":
        return render_themed("pay/card.html", invoice=invoice, error=None)
    body, signature = sandbox_gateway.charge(invoice, request.form.get("card_number", "")[:40])
    try:
        outcome = sandbox_gateway.handle_callback(g.shop.id, body, signature)
    except sandbox_gateway.CallbackRejected as error:
        return render_themed("pay/card.html", invoice=invoice, error=str(error)), error.status
    if outcome.result != "paid":
        return render_themed("pay/card.html", invoice=invoice, error="The card was declined."), 402
    flash("Thank you, your payment is received.", "success")
    return redirect(url_for("shop.invoice", number=invoice.number), 303)


@bp.post("/payments/sandbox/callback")
@csrf.exempt
def sandbox_callback() -> tuple[str, int]:
    """The card gateway's server-to-server callback."""
    _require_card_gateway()
    body = request.get_data(cache=False)
    try:
        outcome = sandbox_gateway.handle_callback(
            g.shop.id, body, request.headers.get("Sandbox-Signature", "")
        )
    except sandbox_gateway.CallbackRejected as error:
        return f"{error}\n", error.status
    return f"{outcome.result}\n", 200
