"""The console's credit notes: issued from the order page, listed, refunded once; bad input is refused
with a message and writes nothing; every step is audited under the customer."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import AuditEntry, CreditNote
from tests.commerce.credit_support import (
    credit_form,
    credit_invoice,
    issue,
    ledger,
    notes,
    order_invoice,
    order_page,
    owner,
    paid_order,
)
from tests.console.shop_data import agent, checkout, only_order_number
from tests.shop.helpers import csrf_from
from tests.steps import customer_id, owner_client


def _audited(app, action: str) -> list[tuple[str, str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.record, AuditEntry.reason, AuditEntry.customer_id)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


def test_the_owner_credits_part_of_a_line_and_a_whole_line_as_account_credit(app, demo, client_for) -> None:
    shopper = paid_order(app, client_for)
    team = owner(client_for)
    path, page = order_page(team, app)
    assert "Issue credit note" in page and 'name="amount-1"' in page and 'name="amount-2"' in page
    issued = issue(team, app, {1: "49.00", 2: "99.00"}, reason="Wrong plan sold, sorry")
    assert issued.status_code == 303 and issued.headers["Location"] == "/console/credit-notes/1"
    shown = team.get("/console/credit-notes/1").text
    assert "Credit note CN-000001" in shown and "RM 148.00" in shown and "Wrong plan sold, sorry" in shown
    assert "Account credit" in shown and "INV-000001" in shown
    [note] = notes(app)
    assert [line.amount_minor for line in note.lines] == [4900, 9900] and note.issued_by.startswith("team:")
    assert ledger(app) == [(14800, 14800, "credit_note")]
    page = team.get(path).text
    assert "CN-000001" in page and "Fully credited" in page  # the domain line has nothing left
    customer_page = team.get(f"/console/customers/{1}").text
    assert "Balance:" in customer_page and "RM 148.00" in customer_page
    aisyah = customer_id(app)
    assert _audited(app, "issue_credit_note") == [
        (f"credit_note:{note.id}", "Wrong plan sold, sorry", aisyah)
    ]
    log = shopper.get("/account/privacy").text
    assert "issued credit note CN-000001" in log


def test_crediting_more_than_is_left_is_refused_and_writes_nothing(app, demo, client_for) -> None:
    paid_order(app, client_for)
    team = owner(client_for)
    assert issue(team, app, {2: "90.00"}).status_code == 303
    refused = issue(team, app, {1: "10.00", 2: "9.01"})
    assert refused.status_code == 400
    assert "You cannot credit more than is left of a line" in refused.text
    assert "Only RM 9.00 of this line is left to credit." in refused.text
    assert 'value="10.00"' in refused.text  # what was typed comes back
    assert len(notes(app)) == 1 and len(ledger(app)) == 1
    assert issue(team, app, {2: "9.00"}).status_code == 303


@pytest.mark.parametrize(
    ("amounts", "extra", "message"),
    [
        ({}, {}, "Enter the amount to credit on at least one line."),
        ({1: "abc"}, {}, "Please enter the amount as a number, for example 12.90."),
        ({1: "-5"}, {}, "Please enter the amount as a number, for example 12.90."),
        ({1: "0"}, {}, "Please enter an amount more than zero."),
        ({1: "1.234"}, {}, "Please enter the amount as a number, for example 12.90."),
        ({1: "10"}, {"reason": ""}, "Give a reason the customer can read"),
        ({1: "10"}, {"reason": "ab"}, "Give a reason the customer can read"),
        ({1: "10"}, {"reason": "Sorry\x07 about that"}, "invisible control characters"),
        ({1: "10"}, {"reason": "Our host WebServer was down"}, "WebServer"),
        ({1: "10"}, {"outcome": "cash"}, "Not a valid choice"),
        ({1: "10"}, {"outcome": ""}, "Choose what the credit becomes"),
        ({1: "10"}, {"idempotency_key": "short"}, "This form has expired"),
        ({7: "10"}, {}, "Enter the amount to credit on at least one line."),  # no such line: ignored
    ],
)
def test_bad_input_is_refused_with_a_message(app, demo, client_for, amounts, extra, message) -> None:
    paid_order(app, client_for)
    team = owner(client_for)
    path, page = order_page(team, app)
    fields = {f"amount-{position}": value for position, value in amounts.items()}
    form = credit_form(page) | {"reason": "Plan changed", "outcome": "account_credit"} | fields | extra
    response = team.post(f"{path}/credit-notes", data=form)
    assert response.status_code == 400 and message in response.text
    assert notes(app) == [] and ledger(app) == []


def test_an_unpaid_invoice_offers_no_credit_and_refuses_one(app, demo, client_for) -> None:
    checkout(client_for)
    team = owner(client_for)
    path, page = order_page(team, app)
    assert "Issue credit note" not in page
    form = {"csrf_token": csrf_from(page), "idempotency_key": "k" * 32, "amount-1": "10"}
    refused = team.post(f"{path}/credit-notes", data=form | {"reason": "Plan changed", "outcome": "refund"})
    assert refused.status_code == 400 and "Only a paid invoice can be credited" in refused.text
    assert notes(app) == []


def test_no_token_another_shop_or_an_agent_changes_nothing(app, demo, client_for) -> None:
    paid_order(app, client_for)
    team = owner(client_for)
    path, page = order_page(team, app)
    form = credit_form(page) | {"amount-1": "10", "reason": "Plan changed", "outcome": "refund"}
    assert (
        team.post(
            f"{path}/credit-notes", data={k: v for k, v in form.items() if k != "csrf_token"}
        ).status_code
        == 400
    )
    kedai = owner_client(client_for, "kedai.localhost")
    kedai_form = form | {"csrf_token": csrf_from(kedai.get("/console/orders").text)}
    assert (
        kedai.post(f"/console/orders/{only_order_number(app)}/credit-notes", data=kedai_form).status_code
        == 404
    )
    helper = agent(app, client_for)
    agent_form = form | {"csrf_token": csrf_from(helper.get("/console/tickets").text)}
    assert helper.post(f"{path}/credit-notes", data=agent_form).status_code == 403
    assert notes(app) == []


def test_two_clicks_on_issue_make_one_credit_note(app, demo, client_for) -> None:
    paid_order(app, client_for)
    team = owner(client_for)
    path, page = order_page(team, app)
    form = credit_form(page) | {"amount-1": "20.00", "reason": "Plan changed", "outcome": "account_credit"}
    first, second = (team.post(f"{path}/credit-notes", data=form) for _ in range(2))
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] == "/console/credit-notes/1"
    assert len(notes(app)) == 1 and ledger(app) == [(2000, 2000, "credit_note")]
    assert len(_audited(app, "issue_credit_note")) == 1


def test_a_refund_is_listed_until_it_is_recorded_once(app, demo, client_for) -> None:
    shopper = paid_order(app, client_for)
    team = owner(client_for)
    assert issue(team, app, {1: "49.00"}, outcome="refund").status_code == 303
    assert ledger(app) == []  # a refund is not account credit
    listing = team.get("/console/refunds").text
    assert "Credit notes to refund" in listing and "CN-000001" in listing and "RM 49.00" in listing
    assert "Refund on its way" in shopper.get("/account/invoices").text
    page = team.get("/console/credit-notes/1").text
    path = "/console/credit-notes/1/refund"
    token = csrf_from(page)
    no_method = team.post(path, data={"reference": "FT 1234", "csrf_token": token})
    assert no_method.status_code == 400 and "Choose how the money went back" in no_method.text
    short = team.post(path, data={"method": "bank_transfer", "reference": " x ", "csrf_token": token})
    assert short.status_code == 400 and "reference of the refund (3 to 120 characters)" in short.text
    assert notes(app)[0].refunded_at is None
    done = team.post(path, data={"method": "bank_transfer", "reference": "FT 2611 0099", "csrf_token": token})
    assert done.status_code == 303
    again = team.post(path, data={"method": "gateway", "reference": "RF 2", "csrf_token": token})
    assert again.status_code == 409 and "already recorded" in again.text
    [note] = notes(app)
    assert (note.refund_method.value, note.refund_reference) == ("bank_transfer", "FT 2611 0099")
    assert "CN-000001" not in team.get("/console/refunds").text
    assert "Refunded" in team.get("/console/credit-notes").text
    customer_copy = shopper.get("/account/credit-notes/1").text
    assert "Refunded to you on" in customer_copy and "FT 2611 0099" in customer_copy
    assert _audited(app, "refunded") == [(f"credit_note:{note.id}", "FT 2611 0099", customer_id(app))]


def test_account_credit_has_no_refund_to_record(app, demo, client_for) -> None:
    paid_order(app, client_for)
    team = owner(client_for)
    issue(team, app, {1: "10.00"})
    page = team.get("/console/credit-notes/1").text
    assert "Record the refund" not in page
    refused = team.post(
        "/console/credit-notes/1/refund",
        data={"method": "gateway", "reference": "RF 1", "csrf_token": csrf_from(page)},
    )
    assert refused.status_code == 400 and "given as account credit" in refused.text
    assert notes(app)[0].refunded_at is None


def test_the_list_costs_the_same_queries_for_one_or_many_notes(app, demo, client_for, count_queries) -> None:
    paid_order(app, client_for)
    invoice_id = order_invoice(app).id
    team = owner(client_for)

    def cost() -> int:
        team.get("/console/credit-notes")
        with count_queries() as statements:
            page = team.get("/console/credit-notes")
        assert page.status_code == 200
        return len(statements)

    credit_invoice(app, invoice_id, {1: 1})
    few = cost()
    for _ in range(29):
        credit_invoice(app, invoice_id, {1: 1})
    assert cost() == few
    page = team.get("/console/credit-notes").text
    assert "CN-000030" in page and "CN-000005" not in page and "Page 1 of 2" in page
    assert "CN-000005" in team.get("/console/credit-notes?page=2").text
    with app.app_context():
        assert db.session.scalar(select(func.count(CreditNote.id))) == 30


def test_the_statement_shows_the_months_credit_notes_and_keeps_its_charges(app, demo, client_for) -> None:
    paid_order(app, client_for)
    team = owner(client_for)
    before = team.get("/console/statement").text
    issue(team, app, {1: "49.00"}, outcome="refund")
    after = team.get("/console/statement").text
    assert (
        "Credit notes in" in after
        and "CN-000001" in after
        and "RM 49.00" in after
        and "Refund to make" in after
    )
    total = "Total for"
    assert (
        before[before.index(total) : before.index("</tfoot>")]
        == after[after.index(total) : after.index("</tfoot>")]
    )
    assert team.get("/console/statement.csv").text.count("\r\n") == 3  # a header and the two charges


def test_views_and_lists_of_credit_notes_are_audited_under_the_customer(app, demo, client_for) -> None:
    shopper = paid_order(app, client_for)
    team = owner(client_for)
    issue(team, app, {1: "5.00"})
    [note] = notes(app)
    aisyah = customer_id(app)
    assert team.get("/console/credit-notes/1").status_code == 200
    assert team.get("/console/credit-notes").status_code == 200
    assert (f"credit_note:{note.id}", "", aisyah) in _audited(app, "view")
    assert ("credit_notes", "page 1", aisyah) in _audited(app, "list")
    assert team.get("/console/credit-notes/2").status_code == 404
    log = shopper.get("/account/privacy").text
    assert "viewed credit note CN-000001" in log and "saw your credit note in the list of credit notes" in log
