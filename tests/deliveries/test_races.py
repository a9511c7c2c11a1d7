"""Deliveries racing each other with real commits: on PostgreSQL the order's row lock
serialises them, on SQLite the write lock taken at BEGIN IMMEDIATE. However many plan,
ship or return at once, the order never delivers more than it has, a shipment counts once,
and nothing deadlocks or answers 500."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import text

from app.core.db import create_sessionmaker
from app.customers.models import Customer
from app.orders.models import Order, OrderLine, OrderStatus
from tests.deliveries.conftest import DELIVERIES, SHIP
from tests.factories.confirmed_orders import Line, create_confirmed_order, fresh_order
from tests.factories.customers import create_customer
from tests.factories.departments import create_department
from tests.factories.products import create_product

DEPARTMENT = "race-deliveries"


@dataclass
class Race:
    client: httpx.AsyncClient
    maker: object
    customer: Customer
    line: Line
    logistics: dict
    erp: dict

    async def order(self, quantity: str) -> tuple[Order, OrderLine]:
        async with self.maker() as session:  # type: ignore[operator]
            order = await create_confirmed_order(session, customer=self.customer, lines=[
                Line(quantity=quantity, product=self.line.product)])
            order, [line] = await fresh_order(session, order.id)
        return order, line

    async def state(self, order_id: int) -> tuple[Order, OrderLine]:
        async with self.maker() as session:  # type: ignore[operator]
            order, [line] = await fresh_order(session, order_id)
        return order, line

    def plan(self, order_id: int, line_id: int, quantity: str, headers: dict) -> object:
        return self.client.post(DELIVERIES, headers=headers, json={
            "order_id": order_id, "lines": [{"order_line_id": line_id, "quantity": quantity}]})

    def act(self, delivery_id: int, action: str, body: dict, headers: dict) -> object:
        return self.client.post(f"{DELIVERIES}/{delivery_id}/{action}", headers=headers,
                                json=body)


@pytest.fixture
async def race(committing_app, engine, headers_for) -> AsyncIterator[Race]:
    maker = create_sessionmaker(engine)
    async with maker() as session:
        department = await create_department(session, id=DEPARTMENT)
        customer = await create_customer(session, department=department, owner_id="rep.race")
        product = await create_product(session, sku="RACE-DELIVERY")
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield Race(client, maker, customer, Line(product=product),
                   headers_for("logistics", sub="wh.race"),
                   headers_for("integration", sub="erp.race"))


def _codes(responses) -> Counter:
    return Counter((r.status_code, r.json().get("code") if r.status_code >= 400 else None)
                   for r in responses)


async def test_concurrent_plans_never_deliver_more_than_was_ordered(race):
    """Eight deliveries of 3 against 10 ordered, all at once: exactly three fit, the rest
    are told what is left; the order schedules 9, never 12 or 24."""
    for _ in range(3):
        order, line = await race.order("10")
        responses = await asyncio.gather(*[
            race.plan(order.id, line.id, "3", race.logistics) for _ in range(8)])
        assert _codes(responses) == {(201, None): 3,
                                     (409, "delivery.exceeds_undelivered"): 5}, [
            r.text for r in responses]
        _, line = await race.state(order.id)
        assert line.scheduled_quantity == Decimal("9.000")
        listed = (await race.client.get(DELIVERIES, headers=race.logistics,
                                        params={"order_id": order.id})).json()
        assert sum(Decimal(d["lines"][0]["quantity"]) for d in listed["items"]) == 9


async def test_the_last_unit_goes_to_one_delivery(race):
    order, line = await race.order("1")
    responses = await asyncio.gather(*[
        race.plan(order.id, line.id, "1", race.logistics) for _ in range(6)])
    assert _codes(responses) == {(201, None): 1, (409, "delivery.exceeds_undelivered"): 5}


async def test_a_delivery_shipped_by_several_at_once_ships_once(race):
    """Logistics and the ERP report the same shipment together: one records it, the
    others get 409; the order counts the quantity once and moves once."""
    for _ in range(3):
        order, line = await race.order("4")
        planned = (await race.plan(order.id, line.id, "4", race.logistics)).json()
        responses = await asyncio.gather(*[
            race.act(planned["id"], "ship", SHIP, headers)
            for headers in (race.logistics, race.erp) * 3])
        assert _codes(responses) == {(200, None): 1, (409, "state.invalid_transition"): 5}
        order, line = await race.state(order.id)
        assert (order.status, line.shipped_quantity) == (OrderStatus.delivered, 4)
        async with race.maker() as session:  # type: ignore[operator]
            events = await session.scalar(text(
                "SELECT count(*) FROM event WHERE subject IN "
                f"('delivery:{planned['id']}', 'order:{order.id}') "
                "AND type IN ('delivery.shipped', 'order.delivered')"))
        assert events == 2


async def test_shipping_racing_cancellation_has_one_winner(race):
    for _ in range(4):
        order, line = await race.order("5")
        planned = (await race.plan(order.id, line.id, "5", race.logistics)).json()
        ship, cancel = await asyncio.gather(
            race.act(planned["id"], "ship", SHIP, race.erp),
            race.act(planned["id"], "cancel", {"reason": "客户取消"}, race.logistics))
        assert sorted([ship.status_code, cancel.status_code]) == [200, 409], (
            ship.text, cancel.text)
        order, line = await race.state(order.id)
        if ship.status_code == 200:
            assert (line.scheduled_quantity, line.shipped_quantity) == (5, 5)
        else:
            assert (line.scheduled_quantity, line.shipped_quantity) == (0, 0)
            assert order.status == OrderStatus.confirmed


async def test_concurrent_returns_never_take_back_more_than_was_shipped(race):
    order, line = await race.order("10")
    planned = (await race.plan(order.id, line.id, "10", race.logistics)).json()
    shipped = (await race.act(planned["id"], "ship", SHIP, race.logistics)).json()
    body = {"lines": [{"delivery_line_id": shipped["lines"][0]["id"], "quantity": "3"}],
            "reason": "批量退货"}
    responses = await asyncio.gather(*[
        race.act(planned["id"], "returns", body, headers)
        for headers in (race.logistics, race.erp) * 3])
    assert _codes(responses) == {(201, None): 3, (409, "delivery.exceeds_returnable"): 3}
    order, line = await race.state(order.id)
    assert (line.shipped_quantity, line.returned_quantity, order.status) == (
        1, 9, OrderStatus.partially_delivered)
