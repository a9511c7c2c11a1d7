"""Budget scenarios on the company of tests/company.py (department east: head.wang, the
deputy GM vp.li, finance fin.qian and fin.sun, the GM gm.zhou), plus the head of west."""

from dataclasses import dataclass

import httpx
import pytest

from tests.company import Company
from tests.deliveries.conftest import ok, refused  # noqa: F401
from tests.factories.budgets import budget_body

BUDGETS = "/api/v1/expense-budgets"
OVERRIDES = "/api/v1/expense-overrides"


@dataclass
class Office:
    client: httpx.AsyncClient
    company: Company
    west_head: dict

    async def draft(self, **overrides) -> dict:
        return ok(await self.client.post(BUDGETS, headers=self.company.head,
                                         json=budget_body(**overrides)), 201)

    async def approve(self, request_id: int, *deciders: dict) -> None:
        for headers in deciders:
            ok(await self.client.post(f"/api/v1/approvals/{request_id}/approve",
                                      headers=headers, json={}))

    async def approved(self, **overrides) -> dict:
        budget = await self.draft(**overrides)
        submitted = ok(await self.client.post(f"{BUDGETS}/{budget['id']}/submit",
                                              headers=self.company.head))
        await self.approve(submitted["approval"]["id"], self.company.finance, self.company.gm)
        return await self.read(budget["id"])

    async def read(self, budget_id: int, headers: dict | None = None) -> dict:
        return ok(await self.client.get(f"{BUDGETS}/{budget_id}",
                                        headers=headers or self.company.head))

    def spend(self, budget_id: int, amount: str, *, category: str = "office",
              spent_on: str = "2026-03-05", headers: dict | None = None) -> object:
        return self.client.post(f"{BUDGETS}/{budget_id}/expenses",
                                headers=headers or self.company.head,
                                json={"category": category, "spent_on": spent_on,
                                      "amount": amount, "description": "打印纸"})

    def override(self, budget_id: int, amount: str, *, category: str = "office",
                 headers: dict | None = None) -> object:
        return self.client.post(f"{BUDGETS}/{budget_id}/overrides",
                                headers=headers or self.company.head,
                                json={"category": category, "spent_on": "2026-06-30",
                                      "amount": amount, "description": "展会临时租赁",
                                      "justification": "客户临时加开展会"})


def item(budget: dict, category: str) -> dict:
    return next(i for i in budget["items"] if i["category"] == category)


@pytest.fixture
async def office(client, company, headers_for) -> Office:
    return Office(client, company, headers_for("dept_head", sub="head.zhao", dept="west"))
