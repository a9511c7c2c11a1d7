"""Quote scenarios on the company of tests/company.py (product: list 1000.00, floor 800.00,
tax 13 %), with a clock that tests can move."""

from datetime import UTC, datetime

import pytest

from app.core.clock import system_clock
from tests.factories.quotes import quote_body, quote_line

QUOTES = "/api/v1/quotes"


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(app):
    """Stopped at 2026-03-10 10:00 in Shanghai until a test moves it."""
    movable = MovableClock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    app.state.clock = movable
    yield movable
    app.state.clock = system_clock


@pytest.fixture
def new_quote(client, company, clock):
    async def make(*lines: dict, headers: dict | None = None, **overrides) -> dict:
        body = quote_body(company.customer_id, list(lines) or [quote_line(company.product_id)],
                          **overrides)
        response = await client.post(QUOTES, headers=headers or company.rep, json=body)
        assert response.status_code == 201, response.text
        return response.json()
    return make


@pytest.fixture
def submitted_quote(client, company, new_quote):
    async def make(*lines: dict, **overrides) -> dict:
        quote = await new_quote(*lines, **overrides)
        response = await client.post(f"{QUOTES}/{quote['id']}/submit", headers=company.rep)
        assert response.status_code == 200, response.text
        return response.json()
    return make


@pytest.fixture
def sent_quote(client, company, submitted_quote):
    """A quote within the rep's authority (approved at once), sent to the customer."""
    async def make(*lines: dict, **overrides) -> dict:
        quote = await submitted_quote(*lines, **overrides)
        assert quote["status"] == "approved", quote
        response = await client.post(f"{QUOTES}/{quote['id']}/send", headers=company.rep)
        assert response.status_code == 200, response.text
        return response.json()
    return make


def chain(quote: dict) -> list[list[str]]:
    return [[step["role"] for step in stage["steps"]] for stage in quote["approval"]["stages"]]
