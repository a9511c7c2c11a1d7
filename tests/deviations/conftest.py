"""Deviation scenarios on the company of tests/company.py: sales confirmed at chosen
instants on the company calendar (Asia/Shanghai) for departments east and west."""

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.customers.models import Customer
from app.departments.models import Department
from app.orders.models import OrderStatus
from tests.company import Company
from tests.deliveries.conftest import ok, refused  # noqa: F401
from tests.factories.confirmed_orders import Line, create_confirmed_order
from tests.factories.customers import create_customer

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPORT = "/api/v1/reports/deviation"
TARGETS = "/api/v1/growth-targets"
ANALYSES = "/api/v1/deviation-analyses"


def shanghai(*parts: int) -> datetime:
    """An instant given as a wall-clock time in Shanghai."""
    return datetime(*parts, tzinfo=SHANGHAI).astimezone(UTC)


@dataclass
class Books:
    client: httpx.AsyncClient
    session: AsyncSession
    company: Company
    customers: dict[str, Customer]
    west_head: dict

    async def sale(self, amount: str, confirmed_at: datetime, *, department: str = "east",
                   status: OrderStatus = OrderStatus.confirmed) -> None:
        """An order of `amount` (no tax) confirmed at that instant."""
        await create_confirmed_order(
            self.session, customer=self.customers[department], status=status,
            confirmed_at=confirmed_at, lines=[Line(quantity="1", unit_price=amount, tax_rate="0")])

    async def target(self, rate: str, year: int, department: str = "east") -> dict:
        response = await self.client.post(TARGETS, headers=self.company.gm, json={
            "department_id": department, "year": year, "growth_rate": rate})
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def report(self, period: str, headers: dict | None = None, **params) -> dict:
        return ok(await self.client.get(REPORT, headers=headers or self.company.gm,
                                        params={"period": period, **params}))


def row(report: dict, department: str = "east") -> dict:
    return next(d for d in report["departments"] if d["department_id"] == department)


@pytest.fixture
async def books(client, session, company, headers_for) -> Books:
    east = await session.get(Customer, company.customer_id)
    assert east is not None
    west = await create_customer(session, department=await _department(session, "west"),
                                 owner_id="rep.west")
    return Books(client, session, company, {"east": east, "west": west},
                 headers_for("dept_head", sub="head.zhao", dept="west"))


async def _department(session: AsyncSession, department_id: str) -> Department:
    department = await session.get(Department, department_id)
    assert department is not None
    return department
