"""Visits raced with real commits: a report, a cancellation and a recall arriving at once
on one visit, and a decision racing the submitter's recall. One of them wins; the others
are told the state the winner left."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.core.clock import system_clock
from app.core.db import create_sessionmaker
from tests.deliveries.conftest import MovableClock
from tests.factories.customers import create_customer
from tests.factories.departments import create_department

DEPARTMENT = "race-visits"
VISITS = "/api/v1/visits"
START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@dataclass
class Race:
    client: httpx.AsyncClient
    clock: MovableClock
    customer_id: int
    rep: dict
    head: dict

    async def visit(self, *, approved: bool) -> dict:
        created = await self.client.post(VISITS, headers=self.rep, json={
            "customer_id": self.customer_id, "purpose": "回访",
            "planned_at": (self.clock.now + timedelta(days=1)).isoformat(),
            "place": "客户工厂"})
        assert created.status_code == 201, created.text
        submitted = (await self.client.post(f"{VISITS}/{created.json()['id']}/submit",
                                            headers=self.rep)).json()
        if approved:
            decided = await self.client.post(
                f"/api/v1/approvals/{submitted['approval']['id']}/approve", headers=self.head,
                json={})
            assert decided.status_code == 200, decided.text
        return submitted

    async def read(self, visit_id: int) -> dict:
        return (await self.client.get(f"{VISITS}/{visit_id}", headers=self.head)).json()


@pytest.fixture
async def race(committing_app, engine, headers_for) -> AsyncIterator[Race]:
    maker = create_sessionmaker(engine)
    clock = MovableClock(START)
    committing_app.state.clock = clock
    async with maker() as session:
        department = await create_department(session, id=DEPARTMENT)
        customer = await create_customer(session, department=department, owner_id="rep.race")
    try:
        transport = httpx.ASGITransport(app=committing_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield Race(client, clock, customer.id,
                       headers_for("sales_rep", sub="rep.race", dept=DEPARTMENT),
                       headers_for("dept_head", sub="head.race", dept=DEPARTMENT))
    finally:
        committing_app.state.clock = system_clock


def _codes(responses: list[httpx.Response]) -> Counter:
    return Counter((r.status_code, r.json().get("code") if r.status_code >= 400 else None)
                   for r in responses)


async def test_report_and_cancel_at_once(race):
    """Three reports and three cancellations of one approved visit at once: one wins."""
    visit = await race.visit(approved=True)
    race.clock.now += timedelta(days=2)
    url = f"{VISITS}/{visit['id']}"
    responses = await asyncio.gather(*[
        race.client.post(f"{url}/{action}", headers=race.rep, json=body)
        for action, body in [("report", {"outcome": "签约意向"}),
                             ("cancel", {"reason": "客户出差"})] * 3])
    assert _codes(responses)[(200, None)] == 1, [r.text for r in responses]
    assert _codes(responses)[(409, "state.invalid_transition")] == 5
    [winner] = [r.json() for r in responses if r.status_code == 200]
    final = await race.read(visit["id"])
    assert final["status"] == winner["status"] in ("reported", "cancelled")
    assert final["version"] == winner["version"]


async def test_a_decision_racing_the_recall(race):
    """The head approves while the rep recalls: exactly one of them acts, and the visit is
    where that one left it."""
    visit = await race.visit(approved=False)
    approve = race.client.post(f"/api/v1/approvals/{visit['approval']['id']}/approve",
                               headers=race.head, json={})
    recall = race.client.post(f"{VISITS}/{visit['id']}/recall", headers=race.rep)
    approved, recalled = await asyncio.gather(approve, recall)
    assert sorted([approved.status_code, recalled.status_code]) == [200, 409], (
        approved.text, recalled.text)
    final = await race.read(visit["id"])
    assert final["status"] == ("approved" if approved.status_code == 200 else "draft")


async def test_a_decision_racing_the_cancellation(race):
    """The head approves while the rep cancels the visit in review. An approved visit may
    be cancelled too, so the cancellation always succeeds: either it withdrew the request
    (the approval is then refused), or it came after the approval and cancelled the
    approved visit. Never an approval of a visit already cancelled."""
    visit = await race.visit(approved=False)
    approve = race.client.post(f"/api/v1/approvals/{visit['approval']['id']}/approve",
                               headers=race.head, json={})
    cancel = race.client.post(f"{VISITS}/{visit['id']}/cancel", headers=race.rep,
                              json={"reason": "客户出差"})
    approved, cancelled = await asyncio.gather(approve, cancel)
    assert cancelled.status_code == 200, cancelled.text
    assert approved.status_code in (200, 409), approved.text
    final = await race.read(visit["id"])
    assert final["status"] == "cancelled"
    assert final["approval"]["status"] == ("approved" if approved.status_code == 200
                                           else "recalled")
