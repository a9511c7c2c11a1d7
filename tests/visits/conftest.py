"""Visit scenarios on the company of tests/company.py: rep.zhang's customer (department
east, head.wang, overseen by vp.li), on a clock stopped at 2026-03-10 10:00 in Shanghai
(a Tuesday) that tests move forward."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.models import Event
from tests.company import Company
from tests.deliveries.conftest import MovableClock, clock, ok, refused  # noqa: F401

VISITS = "/api/v1/visits"
# Thursday 2026-03-12 14:30 in Shanghai: two days after the clock's start.
PLANNED = "2026-03-12T06:30:00Z"


def visit_body(customer_id: int, **overrides: Any) -> dict:
    return {"customer_id": customer_id, "purpose": "介绍新款离心泵，了解二期扩产需求",
            "planned_at": PLANNED, "place": "宁波市北仑区港城大道 88 号",
            "contact_name": "王经理", **overrides}


@dataclass
class Visits:
    client: httpx.AsyncClient
    session: AsyncSession
    company: Company
    clock: MovableClock

    async def create(self, headers: dict | None = None, **overrides: Any) -> httpx.Response:
        return await self.client.post(VISITS, headers=headers or self.company.rep,
                                      json={**visit_body(self.company.customer_id), **overrides})

    async def draft(self, **overrides: Any) -> dict:
        return ok(await self.create(**overrides), 201)

    async def act(self, visit: dict, action: str, body: dict | None = None, *,
                  headers: dict | None = None, if_match: int | None = None) -> httpx.Response:
        sent = dict(headers or self.company.rep)
        if if_match is not None:
            sent["If-Match"] = f'"{if_match}"'
        return await self.client.post(f"{VISITS}/{visit['id']}/{action}", headers=sent,
                                      json=body if body is not None else {})

    async def submitted(self, **overrides: Any) -> dict:
        return ok(await self.act(await self.draft(**overrides), "submit"))

    async def decide(self, visit: dict, headers: dict, decision: str = "approve",
                     comment: str | None = None) -> httpx.Response:
        body = {"comment": comment} if comment else {}
        return await self.client.post(
            f"/api/v1/approvals/{visit['approval']['id']}/{decision}", headers=headers,
            json=body)

    async def approved(self, **overrides: Any) -> dict:
        visit = await self.submitted(**overrides)
        ok(await self.decide(visit, self.company.head))
        return await self.read(visit["id"])

    async def get(self, visit_id: int, headers: dict | None = None) -> httpx.Response:
        return await self.client.get(f"{VISITS}/{visit_id}", headers=headers or self.company.rep)

    async def read(self, visit_id: int, headers: dict | None = None) -> dict:
        return ok(await self.get(visit_id, headers))

    async def listed(self, headers: dict | None = None, **params: Any) -> dict:
        return ok(await self.client.get(VISITS, headers=headers or self.company.head,
                                        params=params))

    async def events(self, visit_id: int) -> list[str]:
        return [e.type for e in (await self.session.execute(
            select(Event).where(Event.subject == f"visit:{visit_id}")
            .order_by(Event.id))).scalars()]

    def at(self, instant: str) -> None:
        self.clock.now = datetime.fromisoformat(instant)

    def later(self, **delta: float) -> None:
        self.clock.now += timedelta(**delta)


@pytest.fixture
def visits(client, session, company, clock) -> Visits:  # noqa: F811
    return Visits(client, session, company, clock)
