"""The living half of `seed-demo`: leads, opportunities, quotes, contracts, an order with
its deliveries and receivables, and requests waiting in every approver's inbox.

Every document is made the way a user makes it: a request to the API, in process, with a
development token of the demo user who would do it (the rep drafts, finance and legal
approve, the warehouse ships). So each one passes the same rules, and is audited and
evented under that person's name. The service's clock is moved to when each thing
happens, relative to the `now` the caller gives, so a receivable can be overdue and a
request still waiting. Each scenario is keyed on its document's title (or a lead's
company): one that exists already is skipped, so a second run creates nothing.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.calendar.working_time import COMPANY_TZ
from app.contracts.models import Contract
from app.core.config import Settings
from app.core.security import mint_token
from app.leads.models import Lead
from app.opportunities.models import Opportunity
from app.orders.models import Order
from app.quotes.models import Quote

API = "/api/v1"


@dataclass(frozen=True)
class Person:
    sub: str
    name: str
    roles: tuple[str, ...]
    dept: str | None = None
    depts: tuple[str, ...] = ()

    def command(self) -> str:
        """The `salesflow token` line that mints this person's development token."""
        parts = [f"salesflow token --sub {self.sub} --roles {','.join(self.roles)}"]
        if self.dept:
            parts.append(f"--dept {self.dept}")
        if self.depts:
            parts.append(f"--depts {','.join(self.depts)}")
        parts.append(f"--name {self.name}")
        return " ".join(parts)


# The department's people; the heads and deputy GMs are the ones app/seed.py's departments
# name, so the approval engine routes to them.
PEOPLE = [
    Person("rep.zhang", "张伟", ("sales_rep",), "east"),
    Person("rep.liu", "刘洋", ("sales_rep",), "east"),
    Person("rep.huang", "黄磊", ("sales_rep",), "south"),
    Person("rep.lin", "林静", ("sales_rep",), "south"),
    Person("rep.yang", "杨帆", ("sales_rep",), "north"),
    Person("rep.zhou", "周敏", ("sales_rep",), "north"),
    Person("head.wang", "王建国", ("dept_head",), "east"),
    Person("head.chen", "陈志强", ("dept_head",), "south"),
    Person("head.zhao", "赵丽", ("dept_head",), "north"),
    Person("vp.li", "李明", ("deputy_gm",), depts=("east", "south")),
    Person("vp.sun", "孙涛", ("deputy_gm",), depts=("north",)),
    Person("gm.zhou", "周总", ("gm",)),
    Person("fin.qian", "钱芳", ("finance",)),
    Person("legal.he", "何律师", ("legal",)),
    Person("log.wu", "吴强", ("logistics",)),
    Person("audit.xu", "徐审", ("auditor",)),
    Person("admin", "系统管理员", ("admin",)),
]
BY_SUB = {p.sub: p for p in PEOPLE}
APPROVERS = ["head.wang", "vp.li", "gm.zhou", "fin.qian", "legal.he"]

# Customers and products of app/seed.py, by name and SKU.
HENGYUAN = "杭州恒远化工有限公司"  # east, rep.zhang, A, limit 800,000, 60 days
RUIFENG = "苏州瑞丰水务集团"  # east, rep.zhang, B, limit 300,000, 45 days
GANGCHENG = "宁波港城机械制造有限公司"  # east, rep.liu, B, limit 200,000, 30 days
SIGNATORIES = [{"party": "customer", "name": "采购总监"}, {"party": "company", "name": "周总"}]


class SeedError(RuntimeError):
    """A demo step the API refused: the demo data no longer fits the rules."""


@dataclass
class Department:
    """The demo department's API, spoken as its people, on a clock set per scenario."""

    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    now: datetime
    customers: dict[str, int]
    products: dict[str, int]
    created: dict[str, int] = field(default_factory=dict)

    def at(self, days_ago: float, hour: int = 10) -> date:
        """Move the service's clock to `hour`:00 in Shanghai, `days_ago` days before now
        (never past now); returns that day."""
        local = self.now.astimezone(COMPANY_TZ)
        moment = datetime.combine(local.date() - timedelta(days=days_ago), time(hour),
                                  tzinfo=COMPANY_TZ)
        moment = min(moment, local)
        self.app.state.clock = lambda: moment
        return moment.date()

    def headers(self, sub: str) -> dict[str, str]:
        person = BY_SUB[sub]
        token = mint_token(self.settings, sub=person.sub, roles=list(person.roles),
                           dept=person.dept, depts=list(person.depts) or None,
                           name=person.name, ttl=timedelta(minutes=10))
        return {"Authorization": f"Bearer {token}"}

    async def call(self, sub: str, path: str, body: dict[str, Any] | None = None, *,
                   method: str = "POST") -> dict[str, Any]:
        response = await self.client.request(method, API + path, headers=self.headers(sub),
                                              json=body if method != "GET" else None)
        if not response.is_success:
            raise SeedError(f"{sub}: {method} {path} answered {response.status_code}: "
                            f"{response.text}")
        return response.json() if response.content else {}

    def count(self, kind: str, n: int = 1) -> None:
        self.created[kind] = self.created.get(kind, 0) + n

    # ------------------------------------------------------------------ documents

    async def lead(self, rep: str, company: str, source: str, **fields: Any) -> dict[str, Any]:
        self.count("leads")
        return await self.call(rep, "/leads", {"source": source, "company": company, **fields})

    async def quote(self, rep: str, customer: str, title: str,
                    lines: list[tuple[str, str, str]], **fields: Any) -> dict[str, Any]:
        """A draft quote of (SKU, quantity, discount %) lines at list price."""
        self.count("quotes")
        return await self.call(rep, "/quotes", {
            "customer_id": self.customers[customer], "title": title, "lines": [
                {"product_id": self.products[sku], "quantity": quantity,
                 "discount_percent": discount} for sku, quantity, discount in lines],
            **fields})

    async def contract(self, rep: str, customer: str, title: str, total: str,
                       **fields: Any) -> dict[str, Any]:
        """A draft contract of one pump-station line whose total including tax is `total`."""
        self.count("contracts")
        return await self.call(rep, "/contracts", {
            "customer_id": self.customers[customer], "title": title,
            "lines": [{"product_id": self.products["PMP-250"], "quantity": "1",
                       "unit_price": total, "tax_rate": "0",
                       "description": "泵站成套设备（含安装）"}],
            "payment_schedule": [{"kind": "prepayment", "percent": "30"},
                                 {"kind": "on_delivery", "percent": "70", "due_days": 30}],
            **fields})

    async def submit(self, sub: str, path: str) -> dict[str, Any]:
        return await self.call(sub, f"{path}/submit")

    async def decide(self, request_id: int, *deciders: str) -> dict[str, Any]:
        """Each decider approves their step of the request, in order."""
        request: dict[str, Any] = {}
        for sub in deciders:
            request = await self.call(sub, f"/approvals/{request_id}/approve",
                                      {"comment": "同意"})
        return request

    async def approved_contract(self, rep: str, customer: str, title: str, total: str,
                                tier_approver: str, **fields: Any) -> dict[str, Any]:
        contract = await self.contract(rep, customer, title, total, **fields)
        submitted = await self.submit(rep, f"/contracts/{contract['id']}")
        await self.decide(submitted["approval"]["id"], "fin.qian", "legal.he", tier_approver)
        return contract

    async def signed_contract(self, rep: str, customer: str, title: str, total: str,
                              tier_approver: str, **fields: Any) -> dict[str, Any]:
        contract = await self.approved_contract(rep, customer, title, total, tier_approver,
                                                **fields)
        return await self.call(rep, f"/contracts/{contract['id']}/sign", {
            "signed_date": self.app.state.clock().date().isoformat(),
            "signatories": SIGNATORIES})


Scenario = Callable[[Department], Awaitable[None]]


# ---------------------------------------------------------------------- scenarios


async def leads_in_each_state(d: Department) -> None:
    d.at(12)
    await d.lead("rep.zhang", "温州瓯海阀门贸易有限公司", "web", contact_name="郑经理",
                 phone="0577-8866 1234", needs="询价 DN50 球阀 200 个")
    contacted = await d.lead("rep.zhang", "嘉兴秀洲印染有限公司", "exhibition",
                             contact_name="沈厂长", phone="139 5733 2201",
                             needs="染缸循环泵更换")
    await d.call("rep.zhang", f"/leads/{contacted['id']}/contact")
    qualified = await d.lead("rep.liu", "湖州南浔木业有限公司", "referral",
                             contact_name="钱总", email="qian@nanxunwood.cn",
                             needs="干燥窑风机与变频电机，预算约 30 万")
    await d.call("rep.liu", f"/leads/{qualified['id']}/contact")
    await d.call("rep.liu", f"/leads/{qualified['id']}/qualify")
    dropped = await d.lead("rep.liu", "上海临港泵阀销售中心", "phone", contact_name="马先生",
                           phone="021-5828 7788")
    await d.call("rep.liu", f"/leads/{dropped['id']}/contact")
    await d.call("rep.liu", f"/leads/{dropped['id']}/disqualify",
                 {"reason": "同行询价，无采购意向"})
    converted = await d.lead("rep.zhang", "绍兴越城纺织有限公司", "referral",
                             contact_name="陈总", phone="0575-8512 3456",
                             needs="污水处理站提升泵组")
    await d.call("rep.zhang", f"/leads/{converted['id']}/contact")
    await d.call("rep.zhang", f"/leads/{converted['id']}/qualify")
    await d.call("rep.zhang", f"/leads/{converted['id']}/convert", {
        "customer": {"name": "绍兴越城纺织有限公司", "address": "浙江省绍兴市越城区"},
        "opportunity": {"title": "越城纺织 污水提升泵组", "grade": "medium",
                        "expected_amount": "180000.00",
                        "expected_close_date": (d.now + timedelta(days=60)).date().isoformat()}})
    d.count("opportunities")


async def opportunities_in_each_stage(d: Department) -> None:
    d.at(30)
    close = (d.now + timedelta(days=45)).date().isoformat()
    stages = ["qualification", "needs_analysis", "proposal", "negotiation"]
    plans = [  # title, customer, grade, amount, stages to walk, then won/lost
        ("恒远化工 冷却塔循环泵", HENGYUAN, "low", "96000.00", 0, None),
        ("瑞丰水务 二期加压泵站", RUIFENG, "low", "420000.00", 1, None),
        ("恒远化工 蒸汽凝液回收", HENGYUAN, "high", "260000.00", 2, None),
        ("港城机械 厂区消防泵", GANGCHENG, "low", "75000.00", 3, None),
        ("瑞丰水务 管网阀门年度采购", RUIFENG, "low", "150000.00", 3, "won"),
        ("港城机械 空压站电机", GANGCHENG, "low", "58000.00", 1, "lost"),
    ]
    for title, customer, grade, amount, walk, end in plans:
        rep = "rep.liu" if customer == GANGCHENG else "rep.zhang"
        opportunity = await d.call(rep, "/opportunities", {
            "title": title, "grade": grade, "expected_amount": amount,
            "expected_close_date": close, "customer_id": d.customers[customer]})
        d.count("opportunities")
        path = f"/opportunities/{opportunity['id']}"
        for stage in stages[1:walk + 1]:
            await d.call(rep, f"{path}/stage", {"stage": stage})
        if grade == "high":  # its proposal waits for the head's review
            await d.call(rep, f"{path}/proposal/submit", {
                "summary": "凝液回收泵组 2 用 1 备，变频控制，含安装调试；报价按框架价 95 折"})
        if end == "won":
            await d.call(rep, f"{path}/win", {})
        elif end == "lost":
            await d.call(rep, f"{path}/lose", {"reason": "客户选择了进口品牌"})


async def quotes_and_a_contract_drafted_from_one(d: Department) -> None:
    d.at(8)
    await d.quote("rep.zhang", HENGYUAN, "恒远化工 备用泵报价", [("PMP-100", "2", "0"),
                                                          ("SVC-INS", "2", "0")])
    discounted = await d.quote("rep.zhang", RUIFENG, "瑞丰水务 阀门批量报价（10% 折扣）",
                               [("VLV-200", "20", "10"), ("VLV-050", "100", "10")])
    await d.submit("rep.zhang", f"/quotes/{discounted['id']}")  # to the head: ≤ 15 %
    accepted = await d.quote("rep.liu", GANGCHENG, "港城机械 电机报价",
                             [("MTR-011", "4", "3"), ("SVC-INS", "1", "0")])
    path = f"/quotes/{accepted['id']}"
    await d.submit("rep.liu", path)  # 3 %: within the rep's authority, approved at once
    await d.call("rep.liu", f"{path}/send")
    await d.call("rep.liu", f"{path}/accept")
    d.at(7)
    await d.call("rep.liu", "/contracts", {
        "quote_id": accepted["id"], "title": "港城机械 电机采购合同",
        "payment_schedule": [{"kind": "on_delivery", "percent": "100", "due_days": 30}]})
    d.count("contracts")


async def contracts_waiting_in_each_inbox(d: Department) -> None:
    """Finance and legal review first; then the tier approver: ≤ 100,000 the head,
    ≤ 500,000 the deputy GM, above the GM (the bounds are inclusive)."""
    d.at(1, hour=15)
    first = await d.contract("rep.zhang", HENGYUAN, "恒远化工 2#车间输送泵合同", "86000.00")
    await d.submit("rep.zhang", f"/contracts/{first['id']}")
    d.at(0, hour=9)
    for title, total, customer in [
        ("恒远化工 循环水泵改造合同", "100000.00", HENGYUAN),  # → head.wang
        ("瑞丰水务 加压泵站设备合同", "480000.00", RUIFENG),  # → vp.li
        ("恒远化工 全厂泵阀更新总包合同", "500000.01", HENGYUAN),  # → gm.zhou
    ]:
        contract = await d.contract("rep.zhang", customer, title, total)
        submitted = await d.submit("rep.zhang", f"/contracts/{contract['id']}")
        await d.decide(submitted["approval"]["id"], "fin.qian", "legal.he")


async def contracts_decided(d: Department) -> None:
    d.at(20)
    await d.approved_contract("rep.zhang", HENGYUAN, "恒远化工 计量泵合同", "62000.00",
                              "head.wang")
    rejected = await d.contract("rep.liu", GANGCHENG, "港城机械 冷却水泵合同", "45000.00",
                                clauses="违约金按合同总额 50% 计")
    submitted = await d.submit("rep.liu", f"/contracts/{rejected['id']}")
    await d.call("legal.he", f"/approvals/{submitted['approval']['id']}/reject",
                 {"comment": "违约金条款过高，请按公司范本改为 5%"})


async def contracts_amended_and_terminated(d: Department) -> None:
    d.at(60)
    amended = await d.signed_contract("rep.zhang", RUIFENG, "瑞丰水务 一期阀门供货合同",
                                      "88000.00", "head.wang")
    d.at(40)
    revision = await d.call("rep.zhang", f"/contracts/{amended['id']}/amendments")
    await d.call("rep.zhang", f"/contracts/{revision['id']}", {
        "lines": [{"product_id": d.products["VLV-200"], "quantity": "18", "unit_price": "5400.00",
                   "tax_rate": "0", "description": "电动蝶阀 DN200（增补 2 台）"}]},
        method="PATCH")
    submitted = await d.submit("rep.zhang", f"/contracts/{revision['id']}")
    await d.decide(submitted["approval"]["id"], "fin.qian", "legal.he", "head.wang")
    await d.call("rep.zhang", f"/contracts/{revision['id']}/sign", {
        "signed_date": d.at(39).isoformat(), "signatories": SIGNATORIES})
    d.at(50)
    ended = await d.signed_contract("rep.liu", GANGCHENG, "港城机械 旧厂区排水泵合同",
                                    "52000.00", "head.wang")
    d.at(45)
    termination = await d.call("rep.liu", f"/contracts/{ended['id']}/termination",
                               {"reason": "客户旧厂区整体搬迁，双方协商解除"})
    await d.decide(termination["termination_approval"]["id"], "head.wang", "fin.qian", "legal.he", "gm.zhou")


async def an_order_shipped_and_invoiced(d: Department) -> None:
    """A signed contract called off in full, reviewed by finance and logistics, shipped in
    two deliveries: the first invoiced 80 days ago on 60-day terms and still unpaid
    (overdue), the second invoiced 20 days ago and partly paid."""
    d.at(95)
    contract = await d.signed_contract("rep.zhang", HENGYUAN, "恒远化工 冷凝水泵年度框架合同",
                                       "120000.00", "vp.li")
    d.at(90)
    line = contract["lines"][0]
    order = await d.call("rep.zhang", "/orders", {
        "contract_id": contract["id"], "title": "恒远化工 冷凝水泵 首批订单",
        "lines": [{"contract_line_id": line["id"], "quantity": line["quantity"]}],
        "delivery_address": "杭州市钱塘区临江工业园"})
    d.count("orders")
    reviewed = await d.submit("rep.zhang", f"/orders/{order['id']}")
    await d.decide(reviewed["approval"]["id"], "fin.qian", "log.wu")
    await shipment(d, order, "0.5", days_ago=80, carrier="顺丰物流", tracking="SF1400000001")
    second = await shipment(d, order, "0.5", days_ago=20, carrier="德邦物流",
                            tracking="DB2600000002")
    d.at(5)
    receivable = second["receivable_id"]
    owed = Decimal(second["amount"])
    await d.call("fin.qian", f"/receivables/{receivable}/payments", {
        "amount": str((owed * Decimal("0.4")).quantize(Decimal("0.01"))),
        "method": "bank_transfer", "external_reference": "CMB-2026-DEMO-0001",
        "received_on": d.at(5).isoformat(), "notes": "首笔回款"})
    d.count("payments")


async def a_contract_completed(d: Department) -> None:
    """Delivered in full and paid in full: the payment completes the contract."""
    d.at(70)
    contract = await d.signed_contract(
        "rep.zhang", RUIFENG, "瑞丰水务 检修备件合同", "30000.00", "head.wang",
        payment_schedule=[{"kind": "on_delivery", "percent": "100", "due_days": 30}])
    d.at(68)
    line = contract["lines"][0]
    order = await d.call("rep.zhang", "/orders", {
        "contract_id": contract["id"], "title": "瑞丰水务 检修备件订单",
        "lines": [{"contract_line_id": line["id"], "quantity": line["quantity"]}]})
    d.count("orders")
    reviewed = await d.submit("rep.zhang", f"/orders/{order['id']}")
    await d.decide(reviewed["approval"]["id"], "fin.qian", "log.wu")
    shipped = await shipment(d, order, line["quantity"], days_ago=65, carrier="中通快运",
                             tracking="ZT6500000003")
    await d.call("fin.qian", f"/receivables/{shipped['receivable_id']}/payments", {
        "amount": shipped["amount"], "method": "bank_transfer",
        "external_reference": "ICBC-2026-DEMO-0002", "received_on": d.at(40).isoformat()})
    d.count("payments")


async def shipment(d: Department, order: dict[str, Any], quantity: str, *, days_ago: int,
                   carrier: str, tracking: str) -> dict[str, Any]:
    """Plan and ship `quantity` of the order's line; returns the receivable it opened."""
    shipped_on = d.at(days_ago)
    delivery = await d.call("log.wu", "/deliveries", {
        "order_id": order["id"], "planned_date": shipped_on.isoformat(),
        "lines": [{"order_line_id": order["lines"][0]["id"], "quantity": quantity}]})
    await d.call("log.wu", f"/deliveries/{delivery['id']}/ship", {
        "carrier": carrier, "tracking_number": tracking, "shipped_on": shipped_on.isoformat()})
    d.count("deliveries")
    d.count("receivables")
    page = await d.call("fin.qian", f"/receivables?order_id={order['id']}", method="GET")
    (receivable,) = [r for r in page["items"] if r["delivery_id"] == delivery["id"]]
    return {"receivable_id": receivable["id"], "amount": receivable["amount"]}


# Each scenario, with the model and column whose value names its first document.
SCENARIOS: list[tuple[Scenario, Any, str]] = [
    (leads_in_each_state, Lead.company, "温州瓯海阀门贸易有限公司"),
    (opportunities_in_each_stage, Opportunity.title, "恒远化工 冷却塔循环泵"),
    (quotes_and_a_contract_drafted_from_one, Quote.title, "恒远化工 备用泵报价"),
    (contracts_waiting_in_each_inbox, Contract.title, "恒远化工 2#车间输送泵合同"),
    (contracts_decided, Contract.title, "恒远化工 计量泵合同"),
    (contracts_amended_and_terminated, Contract.title, "瑞丰水务 一期阀门供货合同"),
    (an_order_shipped_and_invoiced, Order.title, "恒远化工 冷凝水泵 首批订单"),
    (a_contract_completed, Contract.title, "瑞丰水务 检修备件合同"),
]


async def seed_department(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *,
    now: datetime, customers: dict[str, int], products: dict[str, int],
) -> dict[str, int]:
    """Run each scenario not yet in the database; returns what was created, by kind."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://seed-demo") as client:
        department = Department(app, client, settings, now, customers, products)
        for scenario, column, key in SCENARIOS:
            async with sessionmaker() as session:
                if await session.scalar(select(col(column)).where(col(column) == key)):
                    continue
            await scenario(department)
    return department.created


async def inboxes(app: FastAPI, settings: Settings, now: datetime) -> dict[str, int]:
    """How many requests wait for each approver now."""
    transport = httpx.ASGITransport(app=app)
    app.state.clock = lambda: now
    async with httpx.AsyncClient(transport=transport, base_url="http://seed-demo") as client:
        department = Department(app, client, settings, now, {}, {})
        counts = {}
        for sub in APPROVERS:
            page = await department.call(sub, "/approvals?actionable=true&limit=200",
                                         method="GET")
            counts[sub] = len(page["items"])
    return counts
