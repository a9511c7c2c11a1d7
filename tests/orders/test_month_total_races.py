"""The monthly totals under commands racing each other with real commits (PostgreSQL row
locks; SQLite's write lock at BEGIN IMMEDIATE): orders of one rep confirmed at the same
moment, and payments of one rep recorded at the same moment, all on one row of
`sales_month_total`. None is lost, none deadlocks."""

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from app.calendar.working_time import local_date
from app.core.db import create_sessionmaker, utcnow
from app.orders.models import SalesMonthTotal
from app.receivables.models import Receivable
from tests.factories.customers import create_customer
from tests.factories.departments import create_department
from tests.factories.orders import Shop
from tests.factories.products import create_product
from tests.orders.test_month_totals import DELIVERIES, SHIP, fresh_month_totals, rollup

DEPARTMENT = "race-month-totals"
ROUNDS = 3


class RaceCompany:
    """What Shop needs of a company, for the race's own department."""

    def __init__(self, headers_for, customer_id: int, product_id: int) -> None:
        self.rep = headers_for("sales_rep", sub="rep.totals", dept=DEPARTMENT)
        self.head = headers_for("dept_head", sub="head.totals", dept=DEPARTMENT)
        self.finance = headers_for("finance", sub="fin.totals")
        self.legal = headers_for("legal", sub="legal.totals")
        self.admin = headers_for("admin", sub="admin.totals")
        self.customer_id, self.product_id = customer_id, product_id


@pytest.fixture
async def race(committing_app, engine, headers_for) -> AsyncIterator[tuple[Shop, object]]:
    maker = create_sessionmaker(engine)
    async with maker() as session:
        department = await create_department(session, id=DEPARTMENT)
        customer = await create_customer(session, department=department, owner_id="rep.totals",
                                         credit_limit="100000000.00", credit_rating="A")
        product = await create_product(session, sku="RACE-TOTALS")
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        company = RaceCompany(headers_for, customer.id, product.id)
        logistics = headers_for("logistics", sub="log.totals")
        yield Shop(client, company, logistics, {
            "finance": company.finance, "logistics": logistics, "legal": company.legal,
            "head": company.head}), maker


async def test_orders_confirmed_and_payments_recorded_at_once_are_all_counted(race):
    shop, maker = race
    client, company = shop.client, shop.company
    contract = await shop.signed_contract(("1000", "100.00"))
    month = local_date(utcnow()).replace(day=1)
    for round_ in range(1, ROUNDS + 1):
        # Two orders in review, finance's part decided: logistics' approvals confirm both
        # at once, each adding to the rep's row of the month at its commit.
        orders = [await shop.submit(await shop.place(contract, quantity))
                  for quantity in ("1", "2")]
        for order in orders:
            await shop.ok(await client.post(
                f"/api/v1/approvals/{order['approval']['id']}/approve",
                headers=company.finance, json={}))
        confirmed = await asyncio.gather(*[client.post(
            f"/api/v1/approvals/{order['approval']['id']}/approve", headers=shop.logistics,
            json={}) for order in orders])
        assert [r.status_code for r in confirmed] == [200, 200], [r.text for r in confirmed]
        assert [(await shop.get(order))["status"] for order in orders] == ["confirmed"] * 2
        # Both shipped: two receivables of the rep, paid at once (no receivable in common,
        # so only the rollup row is shared).
        receivables = []
        for order in orders:
            order = await shop.get(order)
            planned = await shop.ok(await client.post(DELIVERIES, headers=shop.logistics, json={
                "order_id": order["id"], "lines": [
                    {"order_line_id": order["lines"][0]["id"],
                     "quantity": order["lines"][0]["quantity"]}]}), 201)
            await shop.ok(await client.post(f"{DELIVERIES}/{planned['id']}/ship",
                                            headers=shop.logistics, json=SHIP))
            async with maker() as session:  # type: ignore[operator]
                receivables.append((await session.execute(select(col(Receivable.id)).where(
                    col(Receivable.delivery_id) == planned["id"]))).scalar_one())
        paid = await asyncio.gather(*[client.post(
            f"/api/v1/receivables/{receivable_id}/payments", headers=company.finance,
            json={"amount": "50.00", "method": "bank_transfer",
                  "external_reference": f"RACE-TOTALS-{round_}-{receivable_id}"})
            for receivable_id in receivables])
        assert [r.status_code for r in paid] == [201, 201], [r.text for r in paid]
        async with maker() as session:  # type: ignore[operator]
            row = await session.get(SalesMonthTotal, (DEPARTMENT, "rep.totals", month))
            assert row is not None
            assert (row.orders, row.confirmed_base, row.payments, row.collected_base) == (
                2 * round_, Decimal("300.00") * round_, 2 * round_, Decimal("100.00") * round_)
            assert await rollup(session, [DEPARTMENT]) == await fresh_month_totals(
                session, [DEPARTMENT])
