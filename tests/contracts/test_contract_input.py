"""Contract drafting rules: schedule adds to 100 %, base-currency rate, known products,
the caller's own customers, totals in Decimal; refusals change nothing."""

import pytest
from sqlalchemy import func, select

from app.contracts.models import Contract
from tests.factories.contracts import contract_body


async def _count(session) -> int:
    return await session.scalar(select(func.count()).select_from(Contract))


@pytest.mark.parametrize(("schedule", "ok"), [
    ([{"kind": "prepayment", "percent": "30"}, {"kind": "on_delivery", "percent": "60"},
      {"kind": "retention", "percent": "10"}], True),
    ([{"kind": "prepayment", "percent": "30"}, {"kind": "on_delivery", "percent": "69.99"}], False),
    ([{"kind": "prepayment", "percent": "50.01"}, {"kind": "on_delivery", "percent": "50"}], False),
])
async def test_payment_schedule_must_add_up_to_100(client, session, company, schedule, ok):
    response = await client.post("/api/v1/contracts", headers=company.rep, json=contract_body(
        company.customer_id, company.product_id, payment_schedule=schedule))
    if ok:
        assert response.status_code == 201
        assert [m["percent"] for m in response.json()["payment_schedule"]] == ["30.00", "60.00",
                                                                              "10.00"]
    else:
        assert response.status_code == 422
        assert response.json()["code"] == "contract.payment_schedule_invalid"
        assert await _count(session) == 0


async def test_base_currency_has_rate_one(client, session, company):
    response = await client.post("/api/v1/contracts", headers=company.rep, json=contract_body(
        company.customer_id, company.product_id, currency="CNY", exchange_rate="7.1"))
    assert response.status_code == 422 and response.json()["code"] == "contract.base_currency_rate"


async def test_unknown_or_inactive_product(client, session, company):
    await client.patch(f"/api/v1/products/{company.product_id}", headers=company.admin,
                       json={"active": False})
    for product_id in (company.product_id, 999_999):
        response = await client.post("/api/v1/contracts", headers=company.rep,
                                     json=contract_body(company.customer_id, product_id))
        assert response.status_code == 422 and response.json()["code"] == "contract.unknown_product"
    assert await _count(session) == 0


async def test_only_own_customers(client, session, company):
    response = await client.post("/api/v1/contracts", headers=company.other_rep,
                                 json=contract_body(company.customer_id, company.product_id))
    assert response.status_code == 422 and response.json()["code"] == "contract.unknown_customer"


@pytest.mark.parametrize("role", ["finance", "legal", "auditor", "logistics"])
async def test_reviewers_do_not_draft(client, company, headers_for, role):
    response = await client.post("/api/v1/contracts", headers=headers_for(role, dept="east"),
                                 json=contract_body(company.customer_id, company.product_id))
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


async def test_prices_default_to_the_price_list_and_totals_round_half_up(client, company):
    body = contract_body(company.customer_id, company.product_id)
    body["lines"] = [
        {"product_id": company.product_id, "quantity": "3"},  # list 1000.00, product tax 13 %
        {"product_id": company.product_id, "quantity": "1", "unit_price": "0.125",
         "tax_rate": "0.06"},
        {"product_id": company.product_id, "quantity": "7", "unit_price": "19.99",
         "discount_percent": "12.5"},
    ]
    contract = (await client.post("/api/v1/contracts", headers=company.rep, json=body)).json()
    lines = contract["lines"]
    assert (lines[0]["net_amount"], lines[0]["tax_amount"]) == ("3000.00", "390.00")
    assert (lines[1]["net_amount"], lines[1]["tax_amount"]) == ("0.13", "0.01")  # 0.125 → 0.13
    # 7 × 19.99 × 0.875 = 122.438… → 122.44; tax 13 % = 15.9172 → 15.92
    assert (lines[2]["net_amount"], lines[2]["tax_amount"]) == ("122.44", "15.92")
    assert (contract["subtotal"], contract["tax_total"], contract["total"]) == (
        "3122.57", "405.93", "3528.50")
