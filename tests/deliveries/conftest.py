"""Delivery scenarios on the company of tests/company.py: confirmed orders of rep.zhang's
customer (department east), planned by the rep or logistics, shipped and received by
logistics or the ERP account, on a clock stopped at 2026-03-10 10:00 in Shanghai."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import system_clock
from app.customers.models import Customer
from app.orders.models import Order, OrderLine
from tests.company import Company
from tests.factories.confirmed_orders import Line, create_confirmed_order, fresh_order

DELIVERIES = "/api/v1/deliveries"
TODAY = "2026-03-10"
SHIP = {"carrier": "顺丰速运", "tracking_number": "SF1234567890"}


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(app):
    movable = MovableClock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    app.state.clock = movable
    yield movable
    app.state.clock = system_clock


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code, problem
    assert response.headers["content-type"].startswith("application/problem+json")
    return problem


@dataclass
class Shop:
    client: httpx.AsyncClient
    session: AsyncSession
    company: Company
    logistics: dict
    erp: dict

    async def order(self, *lines: Line, customer: Customer | None = None,
                    **options: Any) -> tuple[Order, list[OrderLine]]:
        """A confirmed order of the company's customer (default: 10 × 100.00 at 13 %),
        and its lines."""
        customer = customer or await self.session.get(Customer, self.company.customer_id)
        order = await create_confirmed_order(self.session, customer=customer,
                                             lines=list(lines) or None, **options)
        return await fresh_order(self.session, order.id)

    async def state(self, order_id: int) -> tuple[Order, list[OrderLine]]:
        return await fresh_order(self.session, order_id)

    async def plan(self, order_id: int, *lines: tuple[int, str], headers: dict | None = None,
                   **body: Any) -> httpx.Response:
        return await self.client.post(DELIVERIES, headers=headers or self.logistics, json={
            "order_id": order_id,
            "lines": [{"order_line_id": line_id, "quantity": quantity}
                      for line_id, quantity in lines], **body})

    async def planned(self, order_id: int, *lines: tuple[int, str], **body: Any) -> dict:
        return ok(await self.plan(order_id, *lines, **body), 201)

    async def act(self, delivery: dict, action: str, body: dict | None = None, *,
                  headers: dict | None = None, if_match: int | None = None) -> httpx.Response:
        sent = dict(headers or self.logistics)
        if if_match is not None:
            sent["If-Match"] = f'"{if_match}"'
        return await self.client.post(f"{DELIVERIES}/{delivery['id']}/{action}", headers=sent,
                                      json=body if body is not None else {})

    async def shipped(self, delivery: dict, **body: Any) -> dict:
        return ok(await self.act(delivery, "ship", {**SHIP, **body}))

    async def received(self, delivery: dict, **body: Any) -> dict:
        return ok(await self.act(delivery, "deliver", {"received_by": "王经理", **body}))

    async def returned(self, delivery: dict, *lines: tuple[int, str], **body: Any) -> dict:
        return ok(await self.act(delivery, "returns", {
            "lines": [{"delivery_line_id": line_id, "quantity": quantity}
                      for line_id, quantity in lines], "reason": "外壳破损", **body}), 201)

    async def get(self, delivery_id: int, headers: dict | None = None) -> httpx.Response:
        return await self.client.get(f"{DELIVERIES}/{delivery_id}",
                                     headers=headers or self.logistics)


@pytest.fixture
async def shop(client, session, company, headers_for, clock) -> Shop:
    return Shop(client, session, company,
                logistics=headers_for("logistics", sub="wh.chen"),
                erp=headers_for("integration", sub="erp.wms"))
