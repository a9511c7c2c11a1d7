"""An accepted quote becomes a draft contract with its customer and lines
(`POST /contracts` with `quote_id`), once."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.contracts.models import Contract
from app.events.models import Event
from tests.factories.quotes import quote_line
from tests.quotes.conftest import QUOTES

CONTRACTS = "/api/v1/contracts"
SCHEDULE = [{"kind": "prepayment", "percent": "30"}, {"kind": "on_delivery", "percent": "70"}]


@pytest.fixture
def accepted_quote(client, company, sent_quote):
    async def make(*lines: dict, **overrides) -> dict:
        quote = await sent_quote(*lines, **overrides)
        response = await client.post(f"{QUOTES}/{quote['id']}/accept", headers=company.rep)
        assert response.status_code == 200, response.text
        return response.json()
    return make


async def test_the_contract_carries_the_quotes_customer_lines_and_totals(
        client, company, accepted_quote, session):
    quote = await accepted_quote(quote_line(company.product_id, quantity="3", discount="2"),
                                 quote_line(company.product_id, quantity="2", discount="4.5"))
    response = await client.post(CONTRACTS, headers=company.rep, json={
        "quote_id": quote["id"], "payment_schedule": SCHEDULE, "delivery_date": "2026-06-30"})
    assert response.status_code == 201, response.text
    contract = response.json()
    assert (contract["quote_id"], contract["customer_id"], contract["title"],
            contract["status"], contract["currency"]) == (
        quote["id"], company.customer_id, quote["title"], "draft", "CNY")
    assert [(line["product_id"], Decimal(line["quantity"]), Decimal(line["discount_percent"]),
             line["net_amount"], line["tax_amount"], line["total_amount"])
            for line in contract["lines"]] == [
        (company.product_id, 3, Decimal("2"), "2940.00", "382.20", "3322.20"),
        (company.product_id, 2, Decimal("4.5"), "1910.00", "248.30", "2158.30")]
    assert (contract["subtotal"], contract["tax_total"], contract["total"]) == (
        quote["subtotal"], quote["tax_total"], quote["total"])
    assert contract["allowed_actions"] == ["update", "submit"]
    event = (await session.execute(select(Event).where(Event.type == "contract.created")
                                   )).scalar_one()
    assert event.data["quote_id"] == quote["id"]
    after = (await client.get(f"{QUOTES}/{quote['id']}", headers=company.rep)).json()
    assert after["contract_id"] == contract["id"] and after["allowed_actions"] == []
    submitted = await client.post(f"{CONTRACTS}/{contract['id']}/submit", headers=company.rep)
    assert submitted.status_code == 200
    assert [[s["role"] for s in stage["steps"]]
            for stage in submitted.json()["approval"]["stages"]] == [["finance", "legal"],
                                                                     ["dept_head"]]


async def test_a_foreign_currency_quote_keeps_its_currency(client, company, accepted_quote):
    quote = await accepted_quote(currency="USD", exchange_rate="7.1")
    contract = (await client.post(CONTRACTS, headers=company.rep, json={
        "quote_id": quote["id"], "title": "出口合同", "payment_schedule": SCHEDULE})).json()
    assert (contract["currency"], contract["exchange_rate"], contract["title"]) == (
        "USD", "7.100000", "出口合同")
    assert contract["total_base"] == quote["total_base"]


async def test_one_contract_per_quote(client, company, accepted_quote, session):
    quote = await accepted_quote()
    body = {"quote_id": quote["id"], "payment_schedule": SCHEDULE}
    first = await client.post(CONTRACTS, headers=company.rep, json=body)
    assert first.status_code == 201
    again = await client.post(CONTRACTS, headers=company.rep, json=body)
    assert again.status_code == 409
    assert again.json()["code"] == "contract.quote_already_contracted"
    assert again.json()["contract_id"] == first.json()["id"]
    assert await session.scalar(select(func.count()).select_from(Contract)) == 1


@pytest.mark.parametrize("stage", ["draft", "sent", "declined"])
async def test_only_an_accepted_quote(client, company, new_quote, stage, session):
    quote = await new_quote()
    url = f"{QUOTES}/{quote['id']}"
    if stage != "draft":
        await client.post(f"{url}/submit", headers=company.rep)
        await client.post(f"{url}/send", headers=company.rep)
    if stage == "declined":
        await client.post(f"{url}/decline", headers=company.rep, json={"reason": "贵"})
    response = await client.post(CONTRACTS, headers=company.rep,
                                 json={"quote_id": quote["id"], "payment_schedule": SCHEDULE})
    assert response.status_code == 409
    assert response.json()["code"] == "contract.quote_not_accepted"
    assert response.json()["quote_status"] == stage
    assert await session.scalar(select(func.count()).select_from(Contract)) == 0


async def test_another_reps_quote_is_unknown(client, company, accepted_quote):
    quote = await accepted_quote()
    response = await client.post(CONTRACTS, headers=company.other_rep,
                                 json={"quote_id": quote["id"], "payment_schedule": SCHEDULE})
    assert response.status_code == 422 and response.json()["code"] == "contract.unknown_quote"


@pytest.mark.parametrize(("extra", "message"), [
    ({"lines": [{"product_id": 1, "quantity": "1"}]}, "come from the quote"),
    ({"customer_id": 1}, "come from the quote"),
    ({"currency": "USD"}, "come from the quote"),
])
async def test_what_comes_from_the_quote_is_not_given_twice(client, company, accepted_quote,
                                                           extra, message):
    quote = await accepted_quote()
    response = await client.post(CONTRACTS, headers=company.rep, json={
        "quote_id": quote["id"], "payment_schedule": SCHEDULE} | extra)
    assert response.status_code == 422 and message in response.json()["detail"]


async def test_a_direct_contract_still_needs_customer_title_and_lines(client, company):
    response = await client.post(CONTRACTS, headers=company.rep,
                                 json={"payment_schedule": SCHEDULE})
    assert response.status_code == 422
    assert "customer_id, title, lines required" in response.json()["detail"]
