"""Sales plans through the API, as a department head drafts them and the deputy GM and GM
approve them (the company of tests/company.py, department east)."""

from dataclasses import dataclass
from typing import Any

import httpx

from tests.company import Company

PLANS = "/api/v1/sales-plans"
TARGETS = "/api/v1/sales-targets"
PROGRESS = "/api/v1/reports/plan-progress"


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def target(owner_id: str, amount: str, months: dict[int, str] | None = None) -> dict:
    return {"owner_id": owner_id, "amount": amount,
            "months": [{"month": m, "amount": a} for m, a in (months or {}).items()]}


@dataclass
class Planner:
    client: httpx.AsyncClient
    company: Company

    async def create(self, period: str = "2026", amount: str = "1000000.00", *,
                     headers: dict | None = None, department_id: str = "east",
                     **extra: Any) -> dict:
        return ok(await self.client.post(PLANS, headers=headers or self.company.head, json={
            "department_id": department_id, "period": period, "target_amount": amount,
            **extra}), 201)

    async def allocate(self, plan_id: int, *targets: dict,
                       headers: dict | None = None) -> httpx.Response:
        return await self.client.post(f"{PLANS}/{plan_id}/allocations",
                                      headers=headers or self.company.head,
                                      json={"targets": list(targets)})

    async def submit(self, plan_id: int) -> dict:
        return ok(await self.client.post(f"{PLANS}/{plan_id}/submit",
                                         headers=self.company.head))

    async def approve(self, plan: dict) -> dict:
        """Every stage: the deputy GM, then the GM."""
        request_id = plan["approval"]["id"]
        for decider in (self.company.vp, self.company.gm):
            ok(await self.client.post(f"/api/v1/approvals/{request_id}/approve",
                                      headers=decider, json={"comment": "同意"}))
        return await self.get(plan["id"])

    async def approved(self, period: str = "2026", amount: str = "1000000.00",
                       *targets: dict) -> dict:
        plan = await self.create(period, amount)
        if targets:
            ok(await self.allocate(plan["id"], *targets))
        return await self.approve(await self.submit(plan["id"]))

    async def get(self, plan_id: int, headers: dict | None = None) -> dict:
        return ok(await self.client.get(f"{PLANS}/{plan_id}",
                                        headers=headers or self.company.head))

    async def revise(self, plan_id: int) -> dict:
        return ok(await self.client.post(f"{PLANS}/{plan_id}/revise",
                                         headers=self.company.head), 201)

    async def targets(self, headers: dict, **params: Any) -> list[dict]:
        return ok(await self.client.get(TARGETS, headers=headers, params=params))["items"]

    async def progress(self, headers: dict, **params: Any) -> dict:
        return ok(await self.client.get(PROGRESS, headers=headers, params=params))
