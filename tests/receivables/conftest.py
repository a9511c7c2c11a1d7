"""Receivable scenarios on the company of tests/company.py: confirmed orders of rep.zhang's
customer (department east), shipped by logistics (which issues their receivables), paid by
finance or the bank feed (integration), on a clock stopped at 2026-03-10 10:00 in Shanghai
that tests move forward."""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.credit.models import CustomerCredit
from app.events.models import Event
from tests.company import Company
from tests.deliveries.conftest import MovableClock, Shop, clock, ok, refused, shop  # noqa: F401
from tests.factories.confirmed_orders import Line

RECEIVABLES = "/api/v1/receivables"
PAYMENTS = "/api/v1/payments"


@dataclass
class Desk:
    """Finance's desk: shipments that issue receivables, payments and reads."""

    shop: Shop
    client: httpx.AsyncClient
    session: AsyncSession
    company: Company
    clock: MovableClock
    bank: dict

    async def shipped_receivable(self, *lines: Line, quantity: str | None = None,
                                 shipped_on: str | None = None, **options: Any) -> dict:
        """A confirmed order (default 10 × 100.00 at 13 %) shipped whole (or `quantity` of
        its first line): the receivable the shipment issued."""
        order, order_lines = await self.shop.order(*lines, **options)
        wanted = [(line.id, quantity or f"{line.quantity}") for line in order_lines[:1]] \
            if quantity else [(line.id, f"{line.quantity}") for line in order_lines]
        delivery = await self.shop.planned(order.id, *wanted)
        body = {"shipped_on": shipped_on} if shipped_on else {}
        await self.shop.shipped(delivery, **body)
        [receivable] = ok(await self.client.get(RECEIVABLES, headers=self.company.finance,
                                                params={"order_id": order.id}))["items"]
        return receivable

    async def get(self, receivable_id: int, headers: dict | None = None) -> httpx.Response:
        return await self.client.get(f"{RECEIVABLES}/{receivable_id}",
                                     headers=headers or self.company.finance)

    async def read(self, receivable_id: int) -> dict:
        return ok(await self.get(receivable_id))

    async def pay(self, receivable_id: int, amount: str, reference: str = "BANK-0001", *,
                  headers: dict | None = None, **body: Any) -> httpx.Response:
        return await self.client.post(
            f"{RECEIVABLES}/{receivable_id}/payments", headers=headers or self.company.finance,
            json={"amount": amount, "method": "bank_transfer", "external_reference": reference,
                  **body})

    async def post(self, receivable_id: int, action: str, body: dict | None = None, *,
                   headers: dict | None = None) -> httpx.Response:
        return await self.client.post(f"{RECEIVABLES}/{receivable_id}/{action}",
                                      headers=headers or self.company.finance, json=body or {})

    async def exposure(self) -> dict:
        return ok(await self.client.get(
            f"/api/v1/customers/{self.company.customer_id}/exposure",
            headers=self.company.finance))

    async def receivables_open(self) -> str:
        credit = (await self.session.execute(
            select(CustomerCredit).where(CustomerCredit.customer_id == self.company.customer_id)
            .execution_options(populate_existing=True))).scalar_one()
        return f"{credit.receivables_open:.2f}"

    async def events(self, subject: str) -> list[Event]:
        return list((await self.session.execute(
            select(Event).where(Event.subject == subject).order_by(Event.id))).scalars())

    def days_later(self, days: int) -> None:
        from datetime import timedelta
        self.clock.now += timedelta(days=days)


@pytest.fixture
def desk(shop, client, session, company, clock, headers_for) -> Desk:  # noqa: F811
    return Desk(shop, client, session, company, clock,
                bank=headers_for("integration", sub="bank.feed"))
