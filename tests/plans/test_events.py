"""Every sales plan event, written by real flows, matches its published schema, and comes
with its audit row in the same transaction."""

from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.events.models import Event
from tests.factories.plans import PLANS, TARGETS, ok, target
from tests.webhooks.test_catalog import assert_events_match_catalog

PLAN_TYPES = {"sales_plan.created", "sales_plan.updated", "sales_plan.cancelled",
              "sales_plan.revised", "sales_plan.submitted", "sales_plan.approved",
              "sales_plan.rejected", "sales_plan.recalled", "sales_plan.superseded",
              "sales_plan.allocated", "sales_target.acknowledged"}


async def _events_of(session, subject: str) -> list[str]:
    return list((await session.execute(select(Event.type).where(
        Event.subject == subject).order_by(Event.id))).scalars())


async def _audited(session, entity_type: str, entity_id: int) -> list[str]:
    return list((await session.execute(select(AuditEntry.action).where(
        AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id))).scalars())


async def test_sales_plan_payloads(client, session, company, planner):
    baseline = await session.scalar(select(func.coalesce(func.max(Event.id), 0)))
    plan = await planner.create("2026", "1000.00")
    ok(await client.patch(f"{PLANS}/{plan['id']}", headers=company.head,
                          json={"notes": "含新产品线"}))
    ok(await planner.allocate(plan["id"], target("rep.zhang", "1000.00", {6: "1000.00"})))
    submitted = await planner.submit(plan["id"])
    ok(await client.post(f"/api/v1/approvals/{submitted['approval']['id']}/reject",
                         headers=company.vp, json={"comment": "再议"}))
    await planner.submit(plan["id"])
    ok(await client.post(f"{PLANS}/{plan['id']}/recall", headers=company.head))
    await planner.approve(await planner.submit(plan["id"]))
    [mine] = await planner.targets(company.rep)
    ok(await client.post(f"{TARGETS}/{mine['id']}/acknowledge", headers=company.rep))

    revision = await planner.revise(plan["id"])
    await planner.approve(await planner.submit(revision["id"]))
    dropped = await planner.revise(revision["id"])
    ok(await client.post(f"{PLANS}/{dropped['id']}/cancel", headers=company.head))

    seen = await assert_events_match_catalog(session, baseline)
    assert PLAN_TYPES <= set(seen)
    first = await _events_of(session, f"sales_plan:{plan['id']}")
    assert first == ["sales_plan.created", "sales_plan.updated", "sales_plan.allocated",
                     "sales_plan.submitted", "sales_plan.rejected", "sales_plan.submitted",
                     "sales_plan.recalled", "sales_plan.submitted", "sales_plan.approved",
                     "sales_plan.superseded"]
    assert await _audited(session, "sales_plan", plan["id"]) == first
    assert await _events_of(session, f"sales_plan:{revision['id']}") == [
        "sales_plan.revised", "sales_plan.submitted", "sales_plan.approved"]
    assert await _events_of(session, f"sales_target:{mine['id']}") == [
        "sales_target.acknowledged"]
    assert await _audited(session, "sales_target", mine["id"]) == ["sales_target.acknowledged"]
