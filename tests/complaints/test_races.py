"""Complaints racing with real commits: refunds of several complaints against one
receivable never take it below zero (on PostgreSQL the receivable's row lock serialises
them, on SQLite the write lock taken at BEGIN IMMEDIATE); and the two experts approving a
CAPA at the same moment move the complaint to implementing once."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from app.complaints.models import Complaint
from app.core.db import create_sessionmaker
from app.customers.models import Customer
from app.events.models import Event
from app.receivables.models import Receivable
from tests.deliveries.conftest import DELIVERIES, SHIP
from tests.factories.confirmed_orders import Line, create_confirmed_order, fresh_order
from tests.factories.customers import create_customer
from tests.factories.departments import create_department
from tests.factories.products import create_product

DEPARTMENT = "race-complaints"
COMPLAINTS = "/api/v1/complaints"


@dataclass
class Race:
    client: httpx.AsyncClient
    maker: object
    customer: Customer
    line: Line
    logistics: dict
    cs: dict
    head: dict
    experts: list[dict]

    async def receivable(self) -> tuple[int, int]:
        """A shipped order of 10 × 113.00 incl. tax: its delivery's and receivable's ids."""
        async with self.maker() as session:  # type: ignore[operator]
            order = await create_confirmed_order(session, customer=self.customer, lines=[
                Line(quantity="10", product=self.line.product)])
            order, [line] = await fresh_order(session, order.id)
        planned = (await self.client.post(DELIVERIES, headers=self.logistics, json={
            "order_id": order.id, "lines": [{"order_line_id": line.id, "quantity": "10"}]})
        ).json()
        shipped = await self.client.post(f"{DELIVERIES}/{planned['id']}/ship",
                                         headers=self.logistics, json=SHIP)
        assert shipped.status_code == 200, shipped.text
        async with self.maker() as session:  # type: ignore[operator]
            return planned["id"], (await session.execute(select(Receivable.id).where(
                Receivable.delivery_id == planned["id"]))).scalar_one()

    async def post(self, path: str, body: dict, headers: dict | None = None) -> dict:
        response = await self.client.post(path, headers=headers or self.cs, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def reviewed(self, delivery_id: int, *, fault: bool) -> int:
        """A complaint about the delivery, through quality's review."""
        complaint = await self.post(COMPLAINTS, {
            "customer_id": self.customer.id, "delivery_id": delivery_id, "channel": "phone",
            "category": "quality", "severity": "high", "title": "漏水", "description": "漏水"})
        url = f"{COMPLAINTS}/{complaint['id']}"
        await self.post(f"{url}/assign", {"department_id": DEPARTMENT})
        await self.post(f"{url}/determination", {"company_fault": fault, "cause": "c",
                                                 "report": "r"}, self.head)
        review = {"nonconformity_report": "n"} if fault else {"explanation": "e"}
        await self.post(f"{url}/review", {"accepted": True, **review}, self.experts[0])
        return complaint["id"]

    async def negotiating(self, delivery_id: int) -> int:
        complaint_id = await self.reviewed(delivery_id, fault=False)
        await self.post(f"{COMPLAINTS}/{complaint_id}/negotiation", {"reason": "不接受"})
        return complaint_id

    def refund(self, complaint_id: int, amount: str) -> object:
        return self.client.post(f"{COMPLAINTS}/{complaint_id}/remedies", headers=self.cs,
                                json={"kind": "refund", "description": "退款",
                                      "amount": amount})


@pytest.fixture
async def race(committing_app, engine, headers_for) -> AsyncIterator[Race]:
    maker = create_sessionmaker(engine)
    async with maker() as session:
        department = await create_department(session, id=DEPARTMENT)
        customer = await create_customer(session, department=department, owner_id="rep.race")
        product = await create_product(session, sku="RACE-COMPLAINT")
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield Race(client, maker, customer, Line(product=product),
                   headers_for("logistics", sub="wh.race"),
                   headers_for("customer_service", sub="cs.race"),
                   headers_for("dept_head", sub="head.race", dept=DEPARTMENT),
                   [headers_for("quality", sub=f"qa.race{n}") for n in range(3)])


def _codes(responses) -> Counter:
    return Counter((r.status_code, r.json().get("code") if r.status_code >= 400 else None)
                   for r in responses)


async def test_concurrent_refunds_never_overdraw(race):
    """Four complaints about one delivery refund 400.00 each against its 1130.00 at once:
    two fit, the others are told the balance; 330.00 stays owed."""
    delivery_id, receivable_id = await race.receivable()
    complaints = [await race.negotiating(delivery_id) for _ in range(4)]
    responses = await asyncio.gather(*[race.refund(c, "400.00") for c in complaints])
    assert _codes(responses) == {(201, None): 2,
                                 (409, "receivable.credit_exceeds_balance"): 2}, [
        r.text for r in responses]
    async with race.maker() as session:  # type: ignore[operator]
        receivable = await session.get(Receivable, receivable_id)
        assert (receivable.balance, receivable.credited) == (Decimal("330.00"),
                                                             Decimal("800.00"))


async def test_two_experts_at_once_approve_once(race):
    delivery_id, _ = await race.receivable()
    complaint_id = await race.reviewed(delivery_id, fault=True)
    submitted = await race.post(f"{COMPLAINTS}/{complaint_id}/capa", {
        "corrective_actions": "c", "preventive_actions": "p"}, race.head)
    url = f"/api/v1/approvals/{submitted['approval']['id']}/approve"
    responses = await asyncio.gather(*[race.client.post(url, headers=expert, json={})
                                       for expert in race.experts[:2]])
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    async with race.maker() as session:  # type: ignore[operator]
        complaint = await session.get(Complaint, complaint_id)
        assert complaint.status.value == "implementing"
        approved = (await session.execute(select(Event).where(
            Event.subject == f"complaint:{complaint_id}",
            Event.type == "complaint.capa_approved"))).scalars().all()
        assert len(approved) == 1
