from tests.commerce.credit_support import *
def test_smoke(app, demo, client_for):
    paid_order(app, client_for)
    team = owner(client_for)
    inv = order_invoice(app)
    print([(l.position, l.description, l.amount_minor) for l in inv.lines])
    path, page = order_page(team, app)
    assert "Issue credit note" in page
    r = issue(team, app, {1: "10.00"})
    print(r.status_code, r.headers.get("Location"))
    assert r.status_code == 303, r.text[-3000:]
    p = team.get(r.headers["Location"])
    print(p.status_code)
    print(ledger(app))
    assert team.get("/console/credit-notes").status_code == 200
    assert team.get("/console/refunds").status_code == 200
    c = team.get("/console/customers/1")
    assert "Account credit" in c.text

def test_shop(app, demo, client_for):
    shopper = paid_order(app, client_for)
    team = owner(client_for)
    assert issue(team, app, {1: "10.00"}).status_code == 303
    for path in ("/account", "/account/invoices", "/account/invoices/1", "/account/credit-notes/1"):
        r = shopper.get(path)
        assert r.status_code == 200, path
        assert "CN-000001" in r.text or "RM 10.00" in r.text, path
