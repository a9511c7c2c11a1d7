"""`seed-demo`'s living department, loaded into the test's database (rolled back after)
at a fixed moment, then looked at through the API as the demo users would."""

from collections import Counter
from datetime import UTC, datetime

import pytest

from app.core.clock import system_clock
from app.seed import load_demo_data
from app.seed_department import APPROVERS, BY_SUB

# Monday 15 June 2026, 10:00 in Shanghai.
NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


@pytest.fixture
async def seeded(app, settings, sessionmaker) -> dict:
    summary = await load_demo_data(settings, now=NOW, sessionmaker=sessionmaker)
    app.state.clock = lambda: NOW  # reads judge "overdue" on the seed's day
    yield summary
    app.state.clock = system_clock


@pytest.fixture
def as_user(headers_for):
    def make(sub: str) -> dict[str, str]:
        person = BY_SUB[sub]
        return headers_for(sub=sub, roles=list(person.roles), dept=person.dept,
                           depts=list(person.depts) or None)
    return make


async def _items(client, headers, path: str, **params) -> list[dict]:
    response = await client.get(f"/api/v1{path}", headers=headers,
                                params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_request_waits_in_each_approvers_inbox(client, seeded, as_user):
    assert seeded["inboxes"] == {"head.wang": 3, "vp.li": 1, "gm.zhou": 1, "fin.qian": 1,
                                 "legal.he": 1}
    titles = {}
    for sub in APPROVERS:
        inbox = await _items(client, as_user(sub), "/approvals", actionable="true")
        titles[sub] = sorted((i["document_type"], i["title"], i["amount"]) for i in inbox)
    assert titles["fin.qian"] == titles["legal.he"] == [
        ("contract", "恒远化工 2#车间输送泵合同", "86000.00")]
    # The tiers at their edges: 100,000.00 is the head's, 500,000.01 the GM's.
    assert ("contract", "恒远化工 循环水泵改造合同", "100000.00") in titles["head.wang"]
    assert titles["vp.li"] == [("contract", "瑞丰水务 加压泵站设备合同", "480000.00")]
    assert titles["gm.zhou"] == [("contract", "恒远化工 全厂泵阀更新总包合同", "500000.01")]
    assert {kind for kind, _, _ in titles["head.wang"]} == {"contract", "quote",
                                                          "opportunity_proposal"}
    # ...and the summary tells a newcomer how to be each of them.
    tokens = seeded["tokens"]
    assert set(tokens) >= set(APPROVERS) | {"rep.zhang", "admin", "log.wu"}
    assert tokens["vp.li"] == ("salesflow token --sub vp.li --roles deputy_gm "
                               "--depts east,south --name 李明")


async def test_documents_in_every_state(client, seeded, as_user):
    contracts = await _items(client, as_user("gm.zhou"), "/contracts")
    assert Counter(c["status"] for c in contracts) == {
        "draft": 2, "pending_approval": 4, "approved": 1, "signed": 2, "voided": 1,
        "terminated": 1, "completed": 1}
    rejected = next(c for c in contracts if c["title"] == "港城机械 冷却水泵合同")
    assert rejected["status"] == "draft"
    amended = [c for c in contracts if c["title"] == "瑞丰水务 一期阀门供货合同"]
    assert sorted((c["revision"], c["status"]) for c in amended) == [(1, "voided"),
                                                                     (2, "signed")]
    head = as_user("head.wang")
    leads = await _items(client, head, "/leads")
    assert Counter(lead["status"] for lead in leads) == dict.fromkeys(
        ["new", "contacted", "qualified", "disqualified", "converted"], 1)
    opportunities = await _items(client, head, "/opportunities")
    assert Counter(o["stage"] for o in opportunities) == {
        "qualification": 2, "needs_analysis": 1, "proposal": 1, "negotiation": 1, "won": 1,
        "lost": 1}  # one qualification stage came from the converted lead
    quotes = await _items(client, head, "/quotes")
    assert Counter(q["status"] for q in quotes) == {"draft": 1, "pending_approval": 1,
                                                    "accepted": 1}
    # This year's official holidays; 2027 is not in the chinesecalendar release yet.
    assert seeded["created"]["calendar_days"] == 39
    days = await _items(client, head, "/calendar", **{"from": "2026-10-01", "to": "2026-10-10"})
    assert [(d["day"], d["kind"]) for d in days] == [
        *((f"2026-10-0{n}", "holiday") for n in range(1, 8)), ("2026-10-10", "workday")]


async def test_an_order_shipped_with_one_receivable_overdue_and_one_partly_paid(
        client, seeded, as_user):
    finance = as_user("fin.qian")
    orders = await _items(client, finance, "/orders")
    assert sorted((o["status"], o["total"]) for o in orders) == [
        ("delivered", "120000.00"), ("delivered", "30000.00")]
    receivables = sorted((r for r in await _items(client, finance, "/receivables")
                          if r["status"] != "paid"), key=lambda r: r["due_date"])
    assert [(r["status"], r["overdue"], r["days_overdue"], r["balance"]) for r in receivables
            ] == [("open", True, 20, "42000.00"), ("partially_paid", False, 0, "25200.00")]
    overdue = await _items(client, finance, "/receivables", overdue="true")
    assert [r["id"] for r in overdue] == [receivables[0]["id"]]


async def test_a_second_run_creates_nothing(settings, sessionmaker, seeded):
    again = await load_demo_data(settings, now=NOW, sessionmaker=sessionmaker)
    assert set(again["created"].values()) == {0}
    assert again["inboxes"] == seeded["inboxes"]

