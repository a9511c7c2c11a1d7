"""Changing an approved plan (SPEC §4): a revision goes through approval again, the plan
in force stays so until the revision is approved, and every revision is kept."""

from tests.factories.plans import PLANS, TARGETS, ok, target


class TestRevise:
    async def test_a_revision_is_a_draft_copy(self, client, company, planner):
        plan = await planner.approved("2026", "1000.00", target("rep.zhang", "1000.00",
                                                                {1: "400.00", 2: "600.00"}))
        [mine] = await planner.targets(company.rep)
        ok(await client.post(f"{TARGETS}/{mine['id']}/acknowledge", headers=company.rep))

        response = await client.post(f"{PLANS}/{plan['id']}/revise", headers=company.head)
        revision = ok(response, 201)
        assert response.headers["Location"] == f"/api/v1/sales-plans/{revision['id']}"
        assert (revision["number"], revision["revision"], revision["previous_id"],
                revision["status"]) == (plan["number"], 2, plan["id"], "draft")
        [copied] = revision["targets"]
        assert (copied["owner_id"], copied["amount"]) == ("rep.zhang", "1000.00")
        assert [(m["month"], m["amount"]) for m in copied["months"]] == [
            (1, "400.00"), (2, "600.00")]
        assert copied["acknowledged_at"] is not None  # the same target, acknowledged
        # One revision at a time; the plan in force no longer offers another.
        assert "revise" not in (await planner.get(plan["id"]))["allowed_actions"]
        again = await client.post(f"{PLANS}/{plan['id']}/revise", headers=company.head)
        assert again.status_code == 409
        assert again.json()["code"] == "sales_plan.revision_open"

    async def test_only_the_plan_in_force_is_revised(self, client, company, planner):
        draft = await planner.create()
        response = await client.post(f"{PLANS}/{draft['id']}/revise", headers=company.head)
        assert response.status_code == 409
        assert response.json()["code"] == "sales_plan.not_in_force"

    async def test_the_old_revision_stays_in_force_until_the_new_is_approved(
            self, client, company, planner):
        plan = await planner.approved("2026", "1000.00", target("rep.zhang", "1000.00"))
        revision = await planner.revise(plan["id"])
        ok(await client.patch(f"{PLANS}/{revision['id']}", headers=company.head,
                              json={"target_amount": "1500.00"}))
        ok(await planner.allocate(revision["id"], target("rep.zhang", "1000.00"),
                                  target("rep.liu", "500.00")))
        # The draft's targets are not the targets in force.
        progress = await planner.progress(company.head, period="2026")
        assert [(i["plan_id"], i["owner_id"], i["target"]) for i in progress["items"]] == [
            (plan["id"], "rep.zhang", "1000.00")]

        submitted = await planner.submit(revision["id"])
        in_force = await planner.get(plan["id"])
        assert in_force["status"] == "approved"
        assert [i["plan_id"] for i in (await planner.progress(
            company.head, period="2026"))["items"]] == [plan["id"]]

        approved = await planner.approve(submitted)
        assert approved["status"] == "approved"
        old = await planner.get(plan["id"])
        assert (old["status"], old["superseded_by_id"]) == ("superseded", revision["id"])
        assert old["superseded_at"] is not None and old["allowed_actions"] == []
        # History kept: both revisions under one number, the old one with its targets.
        listed = ok(await client.get(PLANS, headers=company.head,
                                     params={"number": plan["number"]}))["items"]
        assert [(p["revision"], p["status"]) for p in listed] == [
            (2, "approved"), (1, "superseded")]
        assert [t["amount"] for t in old["targets"]] == ["1000.00"]
        progress = await planner.progress(company.head, period="2026")
        assert [(i["plan_id"], i["owner_id"], i["target"]) for i in progress["items"]] == [
            (revision["id"], "rep.liu", "500.00"), (revision["id"], "rep.zhang", "1000.00")]
        # The superseded revision's targets cannot be acknowledged any more.
        old_target = old["targets"][0]["id"]
        refused = await client.post(f"{TARGETS}/{old_target}/acknowledge", headers=company.rep)
        assert refused.status_code == 409
        # The new plan in force may be revised in its turn.
        assert (await planner.revise(revision["id"]))["revision"] == 3

    async def test_a_rejected_revision_leaves_the_plan_in_force(self, client, company,
                                                                planner):
        plan = await planner.approved("2026", "1000.00")
        revision = await planner.submit((await planner.revise(plan["id"]))["id"])
        ok(await client.post(f"/api/v1/approvals/{revision['approval']['id']}/reject",
                             headers=company.vp,
                             json={"comment": "维持原计划"}))
        assert (await planner.get(plan["id"]))["status"] == "approved"
        dropped = ok(await client.post(f"{PLANS}/{revision['id']}/cancel",
                                       headers=company.head))
        assert dropped["status"] == "cancelled"
        # With the revision given up, the plan in force may be revised again: revision 2
        # anew (a cancelled draft frees its number).
        assert (await planner.revise(plan["id"]))["revision"] == 2
