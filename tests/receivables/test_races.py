"""Payments racing each other with real commits: on PostgreSQL the receivables' row locks
(taken in id order) serialise them, on SQLite the write lock taken at BEGIN IMMEDIATE.
However many pay at once, a balance never goes below zero, a payer's reference is one
payment, and payments crossing the same receivables in opposite orders do not deadlock."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from app.core.db import create_sessionmaker
from app.credit.models import CustomerCredit
from app.customers.models import Customer
from app.receivables.models import Payment, Receivable, ReceivableOpenBalance
from tests.deliveries.conftest import DELIVERIES, SHIP
from tests.factories.confirmed_orders import Line, create_confirmed_order, fresh_order
from tests.factories.customers import create_customer
from tests.factories.departments import create_department
from tests.factories.products import create_product

DEPARTMENT = "race-receivables"
RECEIVABLES = "/api/v1/receivables"


@dataclass
class Race:
    client: httpx.AsyncClient
    maker: object
    customer: Customer
    line: Line
    logistics: dict
    bank: dict
    finance: dict

    async def receivable(self, quantity: str = "10") -> int:
        """A shipped order of `quantity` × 113.00 incl. tax: its receivable's id."""
        async with self.maker() as session:  # type: ignore[operator]
            order = await create_confirmed_order(session, customer=self.customer, lines=[
                Line(quantity=quantity, product=self.line.product)])
            order, [line] = await fresh_order(session, order.id)
        planned = (await self.client.post(DELIVERIES, headers=self.logistics, json={
            "order_id": order.id,
            "lines": [{"order_line_id": line.id, "quantity": quantity}]})).json()
        shipped = await self.client.post(f"{DELIVERIES}/{planned['id']}/ship",
                                         headers=self.logistics, json=SHIP)
        assert shipped.status_code == 200, shipped.text
        async with self.maker() as session:  # type: ignore[operator]
            return (await session.execute(select(Receivable.id).where(
                Receivable.delivery_id == planned["id"]))).scalar_one()

    async def state(self, receivable_id: int) -> Receivable:
        async with self.maker() as session:  # type: ignore[operator]
            return await session.get(Receivable, receivable_id)

    def pay(self, receivable_id: int, amount: str, reference: str) -> object:
        return self.client.post(f"{RECEIVABLES}/{receivable_id}/payments", headers=self.bank,
                                json={"amount": amount, "method": "bank_transfer",
                                      "external_reference": reference})

    def pay_many(self, reference: str, *allocations: tuple[int, str]) -> object:
        total = sum(Decimal(amount) for _, amount in allocations)
        return self.client.post("/api/v1/payments", headers=self.bank, json={
            "amount": f"{total:.2f}", "method": "bank_transfer", "external_reference": reference,
            "allocations": [{"receivable_id": r, "amount": a} for r, a in allocations]})


@pytest.fixture
async def race(committing_app, engine, headers_for) -> AsyncIterator[Race]:
    maker = create_sessionmaker(engine)
    async with maker() as session:
        department = await create_department(session, id=DEPARTMENT)
        customer = await create_customer(session, department=department, owner_id="rep.race")
        product = await create_product(session, sku="RACE-RECEIVABLE")
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield Race(client, maker, customer, Line(product=product),
                   headers_for("logistics", sub="wh.race"),
                   headers_for("integration", sub="bank.race"),
                   headers_for("finance", sub="fin.race"))


def _codes(responses) -> Counter:
    return Counter((r.status_code, r.json().get("code") if r.status_code >= 400 else None)
                   for r in responses)


async def test_concurrent_payments_never_overdraw(race):
    """Eight payments of 300.00 against 1130.00 owed, all at once: three fit, the rest are
    told the balance; 230.00 stays owed, and the exposure counts exactly what was paid."""
    receivable_id = await race.receivable()
    responses = await asyncio.gather(*[
        race.pay(receivable_id, "300.00", f"RACE-{n}") for n in range(8)])
    assert _codes(responses) == {(201, None): 3, (409, "receivable.overpayment"): 5}, [
        r.text for r in responses]
    receivable = await race.state(receivable_id)
    assert (receivable.balance, receivable.status.value) == (Decimal("230.00"),
                                                             "partially_paid")
    async with race.maker() as session:  # type: ignore[operator]
        credit = await session.get(CustomerCredit, race.customer.id)
        assert credit.receivables_open == Decimal("230.00")


async def test_one_reference_sent_many_times_at_once_is_one_payment(race):
    receivable_id = await race.receivable()
    responses = await asyncio.gather(*[
        race.pay(receivable_id, "100.00", "SAME-SERIAL") for _ in range(6)])
    assert _codes(responses) == {(201, None): 1, (200, None): 5}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert (await race.state(receivable_id)).balance == Decimal("1030.00")


async def test_payments_crossing_receivables_in_both_orders_all_settle(race):
    first, second = await race.receivable("5"), await race.receivable("5")  # 565.00 each
    responses = await asyncio.gather(*[
        race.pay_many(f"CROSS-{n}", *((first, "50.00"), (second, "50.00"))[::1 - 2 * (n % 2)])
        for n in range(8)])
    assert _codes(responses) == {(201, None): 8}, [r.text for r in responses]
    for receivable_id in (first, second):
        assert (await race.state(receivable_id)).balance == Decimal("165.00")
    async with race.maker() as session:  # type: ignore[operator]
        assert len((await session.execute(select(Payment.id).where(
            Payment.customer_id == race.customer.id))).all()) == 8


async def test_movements_at_once_on_one_rollup_row_all_land_in_it(race):
    """Payments, credits and a write-off request on receivables of one rep due on one day,
    all at once: they share the rollup's row, taken last at each commit, so none deadlocks
    and the row ends as a fresh aggregate of the receivables says."""
    ids = [await race.receivable("5") for _ in range(4)]  # 565.00 each
    responses = await asyncio.gather(
        *[race.pay(ids[n % 2], "50.00", f"ROLL-{n}") for n in range(4)],
        race.pay_many("ROLL-MANY", (ids[1], "10.00"), (ids[0], "10.00")),
        *[race.client.post(f"{RECEIVABLES}/{ids[2]}/credits", headers=race.finance,
                           json={"amount": "20.00", "reason": "折让"}) for _ in range(3)],
        race.client.post(f"{RECEIVABLES}/{ids[3]}/write-off", headers=race.finance,
                         json={"reason": "客户失联"}))
    assert {r.status_code for r in responses} <= {200, 201}, [r.text for r in responses]
    async with race.maker() as session:  # type: ignore[operator]
        kept = (await session.execute(
            select(ReceivableOpenBalance.receivables, ReceivableOpenBalance.balance_base)
            .where(ReceivableOpenBalance.department_id == DEPARTMENT))).all()
        fresh = (await session.execute(
            select(func.count(), func.sum(Receivable.balance_base))
            .where(Receivable.department_id == DEPARTMENT,
                   Receivable.status.in_(("open", "partially_paid"))))).all()
    # 4 × 565.00 − 220.00 paid − 60.00 credited − 565.00 in write-off approval.
    assert [tuple(row) for row in kept] == [tuple(row) for row in fresh] == [
        (3, Decimal("1415.00"))]
