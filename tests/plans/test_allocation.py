"""Decomposing a plan into the reps' targets (业绩协议): they add up to the plan to the
cent, a yearly target may be split by month, and a rep's acknowledgement survives a new
allocation only when their target did not change."""

import pytest

from tests.factories.plans import PLANS, TARGETS, ok, target


def _targets(plan: dict) -> dict[str, tuple[str, bool]]:
    return {t["owner_id"]: (t["amount"], t["acknowledged_at"] is not None)
            for t in plan["targets"]}


class TestSums:
    @pytest.mark.parametrize(("second", "allocated", "difference"), [
        ("399999.99", "999999.99", "0.01"), ("400000.01", "1000000.01", "-0.01")])
    async def test_a_cent_off_is_refused(self, planner, second, allocated, difference):
        plan = await planner.create("2026", "1000000.00")
        response = await planner.allocate(plan["id"], target("rep.zhang", "600000.00"),
                                          target("rep.liu", second))
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "sales_plan.allocation_mismatch"
        assert (problem["allocated"], problem["target_amount"], problem["difference"]) == (
            allocated, "1000000.00", difference)
        assert (await planner.get(plan["id"]))["targets"] == []

    async def test_the_refusal_reads_in_chinese(self, planner, company):
        plan = await planner.create("2026", "1000000.00")
        response = await planner.allocate(plan["id"], target("rep.zhang", "999999.99"),
                                          headers={**company.head, "Accept-Language": "zh-CN"})
        problem = response.json()
        assert problem["title"] == "各业务员的业绩目标合计与计划目标不符（须精确到分）"
        assert problem["detail"] == (
            "各业务员目标合计 999999.99，计划目标为 1000000.00，相差 0.01。")

    async def test_exactly_the_plan(self, planner):
        plan = await planner.create("2026", "1000000.00")
        allocated = ok(await planner.allocate(plan["id"], target("rep.zhang", "600000.00"),
                                              target("rep.liu", 400000)))
        assert allocated["allocated"] == "1000000.00" and allocated["version"] == 2
        assert _targets(allocated) == {"rep.liu": ("400000.00", False),
                                       "rep.zhang": ("600000.00", False)}

    async def test_a_plan_of_zero_may_give_zero_targets(self, planner):
        plan = await planner.create("2026-08", "0")
        allocated = ok(await planner.allocate(plan["id"], target("rep.zhang", "0.00")))
        assert allocated["allocated"] == "0.00"

    async def test_each_rep_once(self, planner):
        plan = await planner.create("2026", "2.00")
        response = await planner.allocate(plan["id"], target("rep.zhang", "1.00"),
                                          target("rep.zhang", "1.00"))
        assert response.status_code == 422

    async def test_submitting_a_draft_whose_target_moved_away_from_its_targets(
            self, client, company, planner):
        plan = await planner.create("2026", "1000.00")
        ok(await planner.allocate(plan["id"], target("rep.zhang", "1000.00")))
        ok(await client.patch(f"{PLANS}/{plan['id']}", headers=company.head,
                              json={"target_amount": "1200.00"}))
        response = await client.post(f"{PLANS}/{plan['id']}/submit", headers=company.head)
        assert response.status_code == 422
        assert response.json()["code"] == "sales_plan.allocation_mismatch"
        assert response.json()["difference"] == "200.00"
        assert (await planner.get(plan["id"]))["status"] == "draft"


class TestMonths:
    async def test_a_yearly_target_split_by_month(self, planner):
        plan = await planner.create("2026", "1200.00")
        months = {m: "100.00" for m in range(1, 13)}
        allocated = ok(await planner.allocate(plan["id"], target("rep.zhang", "1200.00", months)))
        [only] = allocated["targets"]
        assert [(m["month"], m["amount"]) for m in only["months"]] == [
            (m, "100.00") for m in range(1, 13)]

    async def test_months_add_up_to_the_target(self, planner):
        plan = await planner.create("2026", "1200.00")
        response = await planner.allocate(plan["id"], target(
            "rep.zhang", "1200.00", {1: "600.00", 7: "599.99"}))
        assert response.status_code == 422
        problem = response.json()
        assert (problem["code"], problem["owner_id"], problem["total"]) == (
            "sales_plan.months_mismatch", "rep.zhang", "1199.99")

    async def test_a_monthly_plan_is_not_split(self, planner):
        plan = await planner.create("2026-04", "100.00")
        response = await planner.allocate(plan["id"], target("rep.zhang", "100.00",
                                                             {4: "100.00"}))
        assert response.status_code == 422
        assert response.json()["code"] == "sales_plan.months_mismatch"

    @pytest.mark.parametrize("month", [0, 13])
    async def test_a_month_is_in_the_year(self, planner, month):
        plan = await planner.create("2026", "100.00")
        response = await planner.allocate(plan["id"], target("rep.zhang", "100.00",
                                                             {month: "100.00"}))
        assert response.status_code == 422


class TestReallocation:
    async def test_unchanged_targets_keep_their_acknowledgement(self, client, company,
                                                                planner, headers_for):
        plan = await planner.approved("2026", "900.00", target("rep.zhang", "300.00"),
                                      target("rep.liu", "300.00"),
                                      target("rep.sun", "300.00", {3: "300.00"}))
        for sub in ("rep.zhang", "rep.liu", "rep.sun"):
            rep = headers_for("sales_rep", sub=sub, dept="east")
            [mine] = await planner.targets(rep)
            ok(await client.post(f"{TARGETS}/{mine['id']}/acknowledge", headers=rep))
        before = {t["owner_id"]: t["id"] for t in (await planner.get(plan["id"]))["targets"]}

        # Zhang unchanged; Liu's amount moves; Sun's months move; Wu is new; nobody leaves.
        again = ok(await planner.allocate(
            plan["id"], target("rep.zhang", "300.00"), target("rep.liu", "250.00"),
            target("rep.sun", "300.00", {4: "300.00"}), target("rep.wu", "50.00")))
        assert _targets(again) == {"rep.zhang": ("300.00", True), "rep.liu": ("250.00", False),
                                   "rep.sun": ("300.00", False), "rep.wu": ("50.00", False)}
        after = {t["owner_id"]: t["id"] for t in again["targets"]}
        assert {k: after[k] for k in before} == before  # the same targets, kept

        # A rep left out loses their target.
        last = ok(await planner.allocate(plan["id"], target("rep.zhang", "900.00")))
        assert _targets(last) == {"rep.zhang": ("900.00", False)}
        gone = await client.get(f"{TARGETS}/{before['rep.liu']}", headers=company.head)
        assert gone.status_code == 404

    async def test_not_while_in_approval(self, planner):
        plan = await planner.submit((await planner.create())["id"])
        response = await planner.allocate(plan["id"], target("rep.zhang", "1000000.00"))
        assert response.status_code == 409
        assert response.json()["code"] == "sales_plan.locked"

    async def test_only_those_who_plan_the_department(self, company, planner, headers_for):
        plan = await planner.create()
        other_head = headers_for("dept_head", dept="west")
        assert (await planner.allocate(plan["id"], target("rep.zhang", "1000000.00"),
                                       headers=other_head)).status_code == 404
        assert (await planner.allocate(plan["id"], target("rep.zhang", "1000000.00"),
                                       headers=company.rep)).status_code == 403
        assert (await planner.allocate(plan["id"], target("rep.zhang", "1000000.00"),
                                       headers=company.vp)).status_code == 200

    async def test_stale_version(self, client, company, planner):
        plan = await planner.create("2026", "10.00")
        response = await client.post(f"{PLANS}/{plan['id']}/allocations",
                                     headers={**company.head, "If-Match": '"2"'},
                                     json={"targets": [target("rep.zhang", "10.00")]})
        assert response.status_code == 412
