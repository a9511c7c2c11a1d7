"""Complaint scenarios on the company of tests/company.py: rep.zhang's customer (department
east), its shipped orders and receivables (tests/receivables/conftest.py), customer service
taking complaints in, the head of east investigating, three quality experts reviewing, on a
clock stopped at Tuesday 2026-03-10 10:00 in Shanghai."""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.company import Company
from tests.deliveries.conftest import MovableClock, clock, ok, refused, shop  # noqa: F401
from tests.receivables.conftest import Desk, desk  # noqa: F401

COMPLAINTS = "/api/v1/complaints"


@dataclass
class Help:
    """The complaints desk: customer service, quality and the company's people."""

    client: httpx.AsyncClient
    company: Company
    desk: Desk
    cs: dict
    experts: list[dict]
    erp: dict

    @property
    def clock(self) -> MovableClock:
        return self.desk.clock

    async def take(self, headers: dict | None = None, **body: Any) -> httpx.Response:
        return await self.client.post(COMPLAINTS, headers=headers or self.cs, json={
            "customer_id": self.company.customer_id, "channel": "phone",
            "category": "quality", "severity": "high", "title": "阀门漏水",
            "description": "收到的阀门有三只漏水", **body})

    async def taken(self, **body: Any) -> dict:
        return ok(await self.take(**body), 201)

    async def act(self, complaint: dict, action: str, body: dict | None = None, *,
                  headers: dict | None = None, if_match: int | None = None) -> httpx.Response:
        sent = dict(headers or self.cs)
        if if_match is not None:
            sent["If-Match"] = f'"{if_match}"'
        return await self.client.post(f"{COMPLAINTS}/{complaint['id']}/{action}", headers=sent,
                                      json=body if body is not None else {})

    async def get(self, complaint_id: int, headers: dict | None = None) -> httpx.Response:
        return await self.client.get(f"{COMPLAINTS}/{complaint_id}",
                                     headers=headers or self.cs)

    async def read(self, complaint_id: int, headers: dict | None = None) -> dict:
        return ok(await self.get(complaint_id, headers))

    # ---- the steps, each answered 200 ----------------------------------------------------

    async def assigned(self, complaint: dict, department_id: str = "east") -> dict:
        return ok(await self.act(complaint, "assign", {"department_id": department_id}))

    async def determined(self, complaint: dict, *, fault: bool) -> dict:
        return ok(await self.act(complaint, "determination", {
            "company_fault": fault, "cause": "密封圈批次不良" if fault else "安装不当",
            "report": "现场检查报告"}, headers=self.company.head))

    async def reviewed(self, complaint: dict, **body: Any) -> dict:
        return ok(await self.act(complaint, "review", {"accepted": True, **body},
                                 headers=self.experts[0]))

    async def explained(self, **intake: Any) -> dict:
        complaint = await self.assigned(await self.taken(**intake))
        await self.determined(complaint, fault=False)
        return await self.reviewed(complaint, explanation="按说明书安装即可解决")

    async def nonconforming(self, **intake: Any) -> dict:
        complaint = await self.assigned(await self.taken(**intake))
        await self.determined(complaint, fault=True)
        return await self.reviewed(complaint, nonconformity_report="不合格品报告 NCR-001")

    async def capa(self, complaint: dict, headers: dict | None = None) -> dict:
        return ok(await self.act(complaint, "capa", {
            "corrective_actions": "更换密封圈供应商", "preventive_actions": "来料全检",
            "due_date": "2026-04-10"}, headers=headers or self.company.head))

    async def approve(self, complaint: dict, *experts: dict) -> dict:
        request_id = complaint["approval"]["id"]
        for expert in experts:
            ok(await self.client.post(f"/api/v1/approvals/{request_id}/approve",
                                      headers=expert, json={}))
        return await self.read(complaint["id"])

    async def implementing(self, **intake: Any) -> dict:
        complaint = await self.capa(await self.nonconforming(**intake))
        return await self.approve(complaint, *self.experts[:2])


@pytest.fixture
def helpdesk(client, company, desk, headers_for) -> Help:  # noqa: F811
    return Help(client, company, desk, cs=headers_for("customer_service", sub="cs.lin"),
                experts=[headers_for("quality", sub=sub)
                         for sub in ("qa.wu", "qa.zheng", "qa.feng")],
                erp=headers_for("integration", sub="erp.portal"))
