"""The catalogue costs the same few queries however many offers a shop has."""

from __future__ import annotations


def _add_offers(shop_id: int, make_plan, make_offer, start: int, count: int) -> None:
    for index in range(start, start + count):
        plan = make_plan(f"plan-{index:02d}", monthly=100 + index, annually=1000 + index)
        make_offer(
            shop_id,
            plan,
            {"monthly": 500 + index, "annually": 5000 + index},
            position=index,
            featured=index == 0,  # a shop features one offer at most
        )


def _queries_for(app, client, count_queries, path: str) -> tuple[int, int]:
    """Return the queries a page costs when rendered afresh and when served from the page cache."""
    client.get(path)  # compile the templates
    app.extensions["page_cache"].clear()
    counts = []
    for _ in ("fresh", "cached"):
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        counts.append(len(statements))
    return counts[0], counts[1]


def test_catalogue_query_count_does_not_grow(
    app, client_for, count_queries, make_reseller, make_plan, make_offer
) -> None:
    shop = make_reseller("big")
    client = client_for("big.localhost")
    paths = ("/plans", "/plans?cycle=annually", "/")
    _add_offers(shop, make_plan, make_offer, 0, 3)
    with_three = {path: _queries_for(app, client, count_queries, path) for path in paths}
    _add_offers(shop, make_plan, make_offer, 3, 57)
    with_sixty = {path: _queries_for(app, client, count_queries, path) for path in paths}
    assert client.get("/plans").text.count('class="price__amount"') == 60
    assert with_three == with_sixty
    assert with_sixty["/plans"] == (2, 1)  # the shop, its offers with plans and prices; cached: the shop
