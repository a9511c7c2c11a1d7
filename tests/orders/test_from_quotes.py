"""Orders placed from a quote, without a contract, where the approval policy's
`orders_from_quotes` allows it (by default: accepted quotes only)."""

import pytest

from tests.factories.orders import ORDERS
from tests.factories.quotes import quote_body, quote_line

QUOTES = "/api/v1/quotes"


@pytest.fixture
def quote(client, company, shop):
    """A quote of 5 units at list price (1000.00, tax 13 %), within the rep's authority:
    approved at once; then sent and accepted as asked."""
    async def make(state: str = "accepted") -> dict:
        created = await shop.ok(await client.post(QUOTES, headers=company.rep, json=quote_body(
            company.customer_id, [quote_line(company.product_id, quantity="5")])), 201)
        url = f"{QUOTES}/{created['id']}"
        current = await shop.ok(await client.post(f"{url}/submit", headers=company.rep))
        for step in ("send", "accept")[:("approved", "sent", "accepted").index(state)]:
            current = await shop.ok(await client.post(f"{url}/{step}", headers=company.rep))
        assert current["status"] == state
        return current
    return make


async def _order(client, company, quote: dict, quantity: str = "2"):
    return await client.post(ORDERS, headers=company.rep, json={
        "quote_id": quote["id"],
        "lines": [{"quote_line_id": quote["lines"][0]["id"], "quantity": quantity}]})


async def _allow(client, company, states: list[str]) -> None:
    current = (await client.get("/api/v1/approval-policy", headers=company.admin)).json()
    response = await client.put("/api/v1/approval-policy", headers=company.admin,
                                json=current["policy"] | {"orders_from_quotes": states})
    assert response.status_code == 200, response.text


async def test_an_accepted_quote_is_ordered_by_default_within_its_quantities(
        client, company, quote, shop):
    accepted = await quote()
    policy = (await client.get("/api/v1/approval-policy", headers=company.admin)).json()
    assert policy["policy"]["orders_from_quotes"] == ["accepted"]
    order = await shop.ok(await _order(client, company, accepted, "3"), 201)
    assert (order["quote_id"], order["contract_id"], order["total"], order["currency"]) == (
        accepted["id"], None, "3390.00", "CNY")
    assert order["lines"][0]["unit_price"] == "1000.0000"
    refused = await _order(client, company, accepted, "2.001")
    assert refused.json()["code"] == "order.quantity_exceeds_remaining"
    await shop.ok(await _order(client, company, accepted, "2"), 201)
    # Ordered directly, it can no longer become a contract (its goods would be ordered twice).
    contract = await client.post("/api/v1/contracts", headers=company.rep, json={
        "quote_id": accepted["id"], "payment_schedule": [{"kind": "on_delivery",
                                                          "percent": "100"}]})
    assert (contract.status_code, contract.json()["code"]) == (409, "contract.quote_ordered")


@pytest.mark.parametrize("state", ["approved", "sent"])
async def test_other_states_wait_for_the_policy(client, company, quote, shop, state):
    current = await quote(state)
    refused = await _order(client, company, current)
    assert (refused.status_code, refused.json()["code"], refused.json()["quote_status"]) == (
        409, "order.quote_not_orderable", state)
    await _allow(client, company, ["approved", "sent", "accepted"])
    await shop.ok(await _order(client, company, current), 201)


async def test_a_policy_without_quote_orders_refuses_even_accepted_ones(client, company,
                                                                        quote):
    await _allow(client, company, [])
    refused = await _order(client, company, await quote())
    assert refused.json()["code"] == "order.quote_not_orderable"
    assert refused.json()["orderable_states"] == []


async def test_a_contracted_quote_is_ordered_through_its_contract(client, company, quote):
    accepted = await quote()
    contract = await client.post("/api/v1/contracts", headers=company.rep, json={
        "quote_id": accepted["id"], "payment_schedule": [{"kind": "on_delivery",
                                                          "percent": "100"}]})
    assert contract.status_code == 201
    refused = await _order(client, company, accepted)
    assert (refused.status_code, refused.json()["code"], refused.json()["contract_id"]) == (
        409, "order.quote_contracted", contract.json()["id"])


async def test_quote_lines_are_not_contract_lines(client, company, quote):
    accepted = await quote()
    mixed = await client.post(ORDERS, headers=company.rep, json={
        "quote_id": accepted["id"],
        "lines": [{"contract_line_id": accepted["lines"][0]["id"], "quantity": "1"}]})
    assert mixed.status_code == 422
