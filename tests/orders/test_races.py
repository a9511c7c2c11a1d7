"""Orders racing each other with real commits (PostgreSQL row locks; SQLite's write lock at
BEGIN IMMEDIATE): call-offs of the last units of a contract, and submissions of one
customer's orders whose credit check only one of them fits."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from app.core.db import create_sessionmaker
from tests.factories.customers import create_customer
from tests.factories.departments import create_department
from tests.factories.orders import ORDERS, Shop
from tests.factories.products import create_product

DEPARTMENT = "race-orders"


class RaceCompany:
    """What Shop needs of a company, for the race's own department."""

    def __init__(self, headers_for, customer_id: int, product_id: int) -> None:
        self.rep = headers_for("sales_rep", sub="rep.orders", dept=DEPARTMENT)
        self.head = headers_for("dept_head", sub="head.orders", dept=DEPARTMENT)
        self.finance = headers_for("finance", sub="fin.orders")
        self.legal = headers_for("legal", sub="legal.orders")
        self.admin = headers_for("admin", sub="admin.orders")
        self.customer_id, self.product_id = customer_id, product_id


@pytest.fixture
async def race(committing_app, engine, headers_for) -> AsyncIterator[Shop]:
    maker = create_sessionmaker(engine)
    async with maker() as session:
        department = await create_department(session, id=DEPARTMENT)
        customer = await create_customer(session, department=department, owner_id="rep.orders",
                                         credit_limit="1000.00", credit_rating="B")
        product = await create_product(session, sku="RACE-ORDERS")
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        company = RaceCompany(headers_for, customer.id, product.id)
        logistics = headers_for("logistics", sub="log.orders")
        yield Shop(client, company, logistics, {
            "finance": company.finance, "logistics": logistics, "legal": company.legal,
            "head": company.head})


async def test_concurrent_call_offs_never_take_more_than_the_contract(race):
    """Five call-offs of 3 units at once against 10: three get theirs, two are refused."""
    contract = await race.signed_contract(("10", "100.00"))
    placed = await asyncio.gather(*[race.client.post(ORDERS, headers=race.company.rep, json={
        "contract_id": contract["id"],
        "lines": [{"contract_line_id": contract["line_ids"][0], "quantity": "3"}]})
        for _ in range(5)])
    assert sorted(r.status_code for r in placed) == [201, 201, 201, 409, 409], [
        r.text for r in placed]
    assert {r.json()["code"] for r in placed if r.status_code == 409} == {
        "order.quantity_exceeds_remaining"}
    listed = (await race.client.get(f"{ORDERS}?contract_id={contract['id']}",
                                    headers=race.company.rep)).json()["items"]
    assert sum(float(o["lines"][0]["quantity"]) for o in listed) == 9


async def test_two_submissions_only_one_of_which_fits_the_limit(race):
    """Limit 1000, two orders of 600 submitted at the same moment: whichever is checked
    second sees the first's reservation, so exactly one goes on credit hold."""
    contract = await race.signed_contract(("1", "600.00"), ("1", "600.00"))
    for _ in range(3):
        drafts = [await race.place(contract, "1"), await race.place(contract, None, "1")]
        submitted = await asyncio.gather(*[race.client.post(
            f"{ORDERS}/{draft['id']}/submit", headers=race.company.rep) for draft in drafts])
        assert [r.status_code for r in submitted] == [200, 200], [r.text for r in submitted]
        assert sorted(r.json()["status"] for r in submitted) == ["credit_hold", "pending_review"]
        held = next(r.json() for r in submitted if r.json()["status"] == "credit_hold")
        assert held["credit_check"]["orders_in_review"] == "600.00"
        exposure = await race.exposure(race.company.rep)
        assert exposure["orders_in_review"] == "1200.00"
        for draft in drafts:
            await race.ok(await race.client.post(f"{ORDERS}/{draft['id']}/cancel",
                                                 headers=race.company.head,
                                                 json={"reason": "测试"}))
        assert (await race.exposure(race.company.rep))["orders_in_review"] == "0.00"
