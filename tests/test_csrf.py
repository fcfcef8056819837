"""CSRF protection: every method that can change something needs the token; reading a page does not."""

from __future__ import annotations

import pytest

from tests.shop.helpers import csrf_from

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@pytest.fixture
def probe(app, demo, client_for):
    """A client on Acme's host and a route that answers every method with the method's name."""
    app.add_url_rule("/csrf-probe", "csrf_probe", lambda: "done", methods=METHODS)
    return client_for("acme.localhost")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_change_without_the_token_is_refused(probe, method: str) -> None:
    response = probe.open("/csrf-probe", method=method)
    assert response.status_code == 400 and "done" not in response.text


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_change_with_the_token_is_served(probe, method: str) -> None:
    token = csrf_from(probe.get("/login").text)
    response = probe.open("/csrf-probe", method=method, data={"csrf_token": token})
    assert response.status_code == 200 and response.text == "done"


def test_reading_needs_no_token(probe) -> None:
    assert probe.get("/csrf-probe").text == "done"
