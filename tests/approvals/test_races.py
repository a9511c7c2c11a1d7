"""Decisions racing each other with real commits: on PostgreSQL through row locks, on
SQLite through the write lock taken at BEGIN IMMEDIATE. Nothing may deadlock or 500."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from app.core.db import create_sessionmaker
from tests.conftest import IS_POSTGRES
from tests.factories.contracts import contract_body
from tests.factories.customers import create_customer
from tests.factories.departments import create_department
from tests.factories.products import create_product
from tests.factories.quotes import quote_body, quote_line

DEPARTMENT = "race-east"


@dataclass
class Race:
    client: httpx.AsyncClient
    rep: dict
    customer_id: int
    product_id: int

    async def submitted_request(self) -> tuple[int, int]:
        """A 1000.00 contract submitted by the rep: (contract id, approval request id)."""
        contract = (await self.client.post("/api/v1/contracts", headers=self.rep, json=contract_body(
            self.customer_id, self.product_id))).json()
        submitted = (await self.client.post(f"/api/v1/contracts/{contract['id']}/submit",
                                            headers=self.rep)).json()
        return contract["id"], submitted["approval"]["id"]

    async def submitted_quote(self) -> tuple[int, int]:
        """A quote at 8 % off, which the department head must approve."""
        quote = (await self.client.post("/api/v1/quotes", headers=self.rep, json=quote_body(
            self.customer_id, [quote_line(self.product_id, discount="8")]))).json()
        submitted = (await self.client.post(f"/api/v1/quotes/{quote['id']}/submit",
                                            headers=self.rep)).json()
        assert submitted["status"] == "pending_approval", submitted
        return quote["id"], submitted["approval"]["id"]


@pytest.fixture
async def race(committing_app, engine, headers_for) -> AsyncIterator[Race]:
    maker = create_sessionmaker(engine)
    async with maker() as session:
        department = await create_department(session, id=DEPARTMENT)
        customer = await create_customer(session, department=department, owner_id="rep.race")
        product = await create_product(session, sku="RACE-1")
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield Race(client, headers_for("sales_rep", sub="rep.race", dept=DEPARTMENT),
                   customer.id, product.id)


async def test_concurrent_approvals_of_one_step_yield_one_success(race, headers_for):
    """Finance people approving the same step at the same moment: exactly one wins, and
    the losers see the winner's decision (not the step as it was before their wait)."""
    approvers = [headers_for("finance", sub=f"fin.race{i}") for i in range(5)]
    for _ in range(4):
        _, request_id = await race.submitted_request()
        responses = await asyncio.gather(*[
            race.client.post(f"/api/v1/approvals/{request_id}/approve", headers=h, json={})
            for h in approvers])
        codes = sorted(r.status_code for r in responses)
        assert codes == [200, 409, 409, 409, 409], [r.text for r in responses]
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {
            "approval.step_not_pending"}
        final = (await race.client.get(f"/api/v1/approvals/{request_id}",
                                       headers=race.rep)).json()
        assert len(final["stages"][0]["steps"][0]["decisions"]) == 1


async def test_recall_racing_the_final_approval_has_one_winner(race, headers_for):
    """The rep recalls while the head gives the last approval. Both take the request's lock
    before the contract's, so one wins and the other gets a 409; they never deadlock."""
    finance, legal = headers_for("finance", sub="fin.race"), headers_for("legal", sub="legal.race")
    head = headers_for("dept_head", sub="head.race", dept=DEPARTMENT)
    for _ in range(5):
        contract_id, request_id = await race.submitted_request()
        for reviewer in (finance, legal):
            await race.client.post(f"/api/v1/approvals/{request_id}/approve", headers=reviewer,
                                   json={})
        recall, approve = await asyncio.gather(
            race.client.post(f"/api/v1/contracts/{contract_id}/recall", headers=race.rep),
            race.client.post(f"/api/v1/approvals/{request_id}/approve", headers=head, json={}))
        assert sorted([recall.status_code, approve.status_code]) == [200, 409], (
            recall.text, approve.text)
        contract = (await race.client.get(f"/api/v1/contracts/{contract_id}",
                                          headers=race.rep)).json()
        assert contract["status"] == ("approved" if approve.status_code == 200 else "draft")
        assert contract["approval"]["status"] == (
            "approved" if approve.status_code == 200 else "recalled")


async def test_quote_recall_racing_its_approval_has_one_winner(race, headers_for):
    """The same for a quote's discount approval: request lock first, then the quote."""
    head = headers_for("dept_head", sub="head.race", dept=DEPARTMENT)
    for _ in range(5):
        quote_id, request_id = await race.submitted_quote()
        recall, approve = await asyncio.gather(
            race.client.post(f"/api/v1/quotes/{quote_id}/recall", headers=race.rep),
            race.client.post(f"/api/v1/approvals/{request_id}/approve", headers=head, json={}))
        assert sorted([recall.status_code, approve.status_code]) == [200, 409], (
            recall.text, approve.text)
        quote = (await race.client.get(f"/api/v1/quotes/{quote_id}", headers=race.rep)).json()
        assert quote["status"] == ("approved" if approve.status_code == 200 else "draft")


async def test_termination_recall_racing_its_final_approval_has_one_winner(race, headers_for):
    """A termination's recall against the GM's last approval: the same lock order (the
    request, then the contract), so one wins; the contract ends or stays in force."""
    finance, legal = headers_for("finance", sub="fin.race"), headers_for("legal", sub="legal.race")
    head = headers_for("dept_head", sub="head.race", dept=DEPARTMENT)
    gm = headers_for("gm", sub="gm.race")
    sign = {"signed_date": "2026-01-05", "signatories": [
        {"party": "customer", "name": "王总"}, {"party": "company", "name": "周总"}]}
    for _ in range(3):
        contract_id, request_id = await race.submitted_request()
        for approver in (finance, legal, head):
            await race.client.post(f"/api/v1/approvals/{request_id}/approve", headers=approver,
                                   json={})
        url = f"/api/v1/contracts/{contract_id}"
        assert (await race.client.post(f"{url}/sign", headers=race.rep,
                                       json=sign)).status_code == 200
        requested = (await race.client.post(f"{url}/termination", headers=race.rep,
                                            json={"reason": "协商解除"})).json()
        termination_id = requested["termination_approval"]["id"]
        for approver in (head, finance, legal):
            await race.client.post(f"/api/v1/approvals/{termination_id}/approve",
                                   headers=approver, json={})
        recall, approve = await asyncio.gather(
            race.client.post(f"{url}/termination/recall", headers=race.rep),
            race.client.post(f"/api/v1/approvals/{termination_id}/approve", headers=gm,
                             json={}))
        assert sorted([recall.status_code, approve.status_code]) == [200, 409], (
            recall.text, approve.text)
        contract = (await race.client.get(url, headers=race.rep)).json()
        assert contract["status"] == ("terminated" if approve.status_code == 200 else "signed")


@pytest.mark.skipif(not IS_POSTGRES, reason="row locks held across sessions need PostgreSQL")
async def test_the_sla_sweeper_skips_a_request_being_decided(race, engine):
    """While a decision holds the request, the sweeper leaves its steps alone (and never
    waits); once the decision is over, the overdue step is escalated."""
    from datetime import UTC, datetime, timedelta

    from app.approvals import sla
    from app.approvals.models import ApprovalRequest

    _, request_id = await race.submitted_request()
    maker = create_sessionmaker(engine)
    later = datetime.now(UTC) + timedelta(days=60)
    async with maker() as deciding, maker() as sweeping:
        await deciding.execute(select(ApprovalRequest).where(ApprovalRequest.id == request_id)
                               .with_for_update())
        assert await sla.sweep_overdue(sweeping, now=later) == 0
        await deciding.rollback()
        assert await sla.sweep_overdue(sweeping, now=later) == 2  # finance and legal
