"""Expenses racing each other with real commits: the item's row lock (PostgreSQL), or the
write lock taken at BEGIN IMMEDIATE (SQLite), serialises them, so together they never
spend more than the item's remainder."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from app.budgets.models import Expense, ExpenseBudgetItem, ExpenseCategory
from app.core.db import create_sessionmaker
from tests.factories.budgets import create_approved_budget
from tests.factories.departments import create_department

DEPARTMENT = "race-budgets"


@dataclass
class Race:
    client: httpx.AsyncClient
    maker: object
    budget_id: int
    head: dict

    def spend(self, amount: str, category: str = "travel") -> object:
        return self.client.post(f"/api/v1/expense-budgets/{self.budget_id}/expenses",
                                headers=self.head,
                                json={"category": category, "spent_on": "2026-05-01",
                                      "amount": amount, "description": "出差"})

    async def item(self, category: ExpenseCategory) -> ExpenseBudgetItem:
        async with self.maker() as session:  # type: ignore[operator]
            return (await session.execute(select(ExpenseBudgetItem).where(
                ExpenseBudgetItem.budget_id == self.budget_id,
                ExpenseBudgetItem.category == category))).scalar_one()


@pytest.fixture
async def race(committing_app, engine, headers_for) -> AsyncIterator[Race]:
    maker = create_sessionmaker(engine)
    async with maker() as session:
        await create_department(session, id=DEPARTMENT)
        budget = await create_approved_budget(
            session, department_id=DEPARTMENT, year=2026, number="FY-RACE-1",
            items={ExpenseCategory.travel: "1000.00", ExpenseCategory.phone: "1000.00"})
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert budget.id is not None
        yield Race(client, maker, budget.id,
                   headers_for("dept_head", sub="head.race", dept=DEPARTMENT))


def _codes(responses) -> Counter:
    return Counter((r.status_code, r.json().get("code") if r.status_code >= 400 else None)
                   for r in responses)


async def test_concurrent_expenses_never_overspend(race):
    """Ten expenses of 300.00 against 1,000.00 at once: three fit, seven are told the
    remainder; 100.00 is left, and the expenses recorded are exactly the three."""
    responses = await asyncio.gather(*[race.spend("300.00") for _ in range(10)])
    assert _codes(responses) == {(201, None): 3, (409, "expense_budget.over_remainder"): 7}, [
        r.text for r in responses]
    assert {r.json()["remainder"] for r in responses if r.status_code == 409} == {"100.00"}
    travel = await race.item(ExpenseCategory.travel)
    assert (travel.spent, travel.amount - travel.spent) == (Decimal("900.00"),
                                                            Decimal("100.00"))
    async with race.maker() as session:  # type: ignore[operator]
        amounts = (await session.execute(select(Expense.amount).where(
            Expense.item_id == travel.id))).scalars().all()
    assert sorted(amounts) == [Decimal("300.00")] * 3


async def test_exactly_the_remainder_in_pieces_at_once(race):
    """Four expenses of 250.00 (the whole 1,000.00) on one item and five on another item
    at once: all of the first fit to the cent, a fifth does not; the items do not block
    each other into refusals."""
    responses = await asyncio.gather(*[race.spend("250.00") for _ in range(5)],
                                     *[race.spend("200.00", "phone") for _ in range(5)])
    assert _codes(responses[:5]) == {(201, None): 4, (409, "expense_budget.over_remainder"): 1}
    assert _codes(responses[5:]) == {(201, None): 5}
    assert (await race.item(ExpenseCategory.travel)).spent == Decimal("1000.00")
    assert (await race.item(ExpenseCategory.phone)).spent == Decimal("1000.00")
