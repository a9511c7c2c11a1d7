"""Plans drafted and revised at the same moment, with real commits: one department has one
plan per period, and a plan one revision in the works, however many ask at once (on
PostgreSQL the partial unique indexes decide, on SQLite the write lock taken at BEGIN
IMMEDIATE)."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from app.core.db import create_sessionmaker
from app.plans.models import SalesPlan, SalesPlanStatus
from tests.factories.departments import create_department
from tests.factories.plans import PLANS

DEPARTMENT = "race-plans"


@dataclass
class Race:
    client: httpx.AsyncClient
    maker: object
    head: dict

    def create(self, period: str) -> object:
        return self.client.post(PLANS, headers=self.head, json={
            "department_id": DEPARTMENT, "period": period, "target_amount": "1000.00"})

    async def in_force(self, period: str) -> int:
        """A plan approved for the period, written straight to the table."""
        async with self.maker() as session:  # type: ignore[operator]
            plan = SalesPlan(number=f"JH-RACE-{period}", department_id=DEPARTMENT,
                             period=period, year=int(period[:4]), title="race",
                             target_amount=Decimal("1000.00"),
                             status=SalesPlanStatus.approved, created_by="head.race")
            session.add(plan)
            await session.commit()
            assert plan.id is not None
            return plan.id

    async def count(self, **where: object) -> int:
        async with self.maker() as session:  # type: ignore[operator]
            return await session.scalar(select(func.count()).select_from(SalesPlan).filter_by(
                department_id=DEPARTMENT, **where))


@pytest.fixture
async def race(committing_app, engine, headers_for) -> AsyncIterator[Race]:
    maker = create_sessionmaker(engine)
    async with maker() as session:
        await create_department(session, id=DEPARTMENT)
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield Race(client, maker, headers_for("dept_head", sub="head.race", dept=DEPARTMENT))


def _codes(responses) -> Counter:
    return Counter((r.status_code, r.json().get("code") if r.status_code >= 400 else None)
                   for r in responses)


async def test_one_plan_per_period_however_many_draft_it_at_once(race):
    responses = await asyncio.gather(*[race.create("2031") for _ in range(6)])
    assert _codes(responses) == {(201, None): 1, (409, "sales_plan.exists"): 5}, [
        r.text for r in responses]
    assert await race.count(period="2031") == 1


async def test_one_revision_however_many_ask_at_once(race):
    plan_id = await race.in_force("2032")
    responses = await asyncio.gather(*[
        race.client.post(f"{PLANS}/{plan_id}/revise", headers=race.head) for _ in range(6)])
    assert _codes(responses) == {(201, None): 1, (409, "sales_plan.revision_open"): 5}, [
        r.text for r in responses]
    assert await race.count(period="2032", revision=2) == 1
    assert await race.count(period="2032", status=SalesPlanStatus.approved) == 1
