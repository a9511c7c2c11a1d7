"""The reps' targets: a rep sees and acknowledges their own, a head sees the department's;
acknowledging needs the plan in force."""

import pytest

from tests.factories.plans import PLANS, TARGETS, ok, target


@pytest.fixture
async def in_force(planner) -> dict:
    return await planner.approved("2026", "1000.00", target("rep.zhang", "600.00"),
                                  target("rep.liu", "400.00"))


class TestVisibility:
    async def test_a_rep_sees_only_their_own(self, client, company, planner, in_force):
        [mine] = await planner.targets(company.rep)
        assert (mine["owner_id"], mine["amount"], mine["plan_number"], mine["period"],
                mine["plan_status"]) == ("rep.zhang", "600.00", in_force["number"], "2026",
                                         "approved")
        assert mine["allowed_actions"] == ["acknowledge"]
        theirs = next(t for t in in_force["targets"] if t["owner_id"] == "rep.liu")
        assert (await client.get(f"{TARGETS}/{theirs['id']}",
                                 headers=company.rep)).status_code == 404
        # The plan itself is the department's business.
        assert (await client.get(f"{PLANS}/{in_force['id']}",
                                 headers=company.rep)).status_code == 404

    @pytest.mark.parametrize(("role", "dept", "depts", "count"), [
        ("dept_head", "east", None, 2), ("dept_head", "west", None, 0),
        ("deputy_gm", None, ["east"], 2), ("deputy_gm", None, ["west"], 0),
        ("gm", None, None, 2), ("finance", None, None, 2), ("auditor", None, None, 2),
        ("sales_rep", "east", None, 0), ("logistics", None, None, 0),
    ])
    async def test_who_sees_targets(self, planner, headers_for, in_force, role, dept, depts,
                                    count):
        assert len(await planner.targets(headers_for(role, dept=dept, depts=depts))) == count

    async def test_filters(self, planner, company, in_force):
        await planner.create("2026-02", "5.00")
        assert len(await planner.targets(company.head, period="2026")) == 2
        assert await planner.targets(company.head, period="2026-02") == []
        assert [t["owner_id"] for t in await planner.targets(company.head,
                                                             owner_id="rep.liu")] == ["rep.liu"]
        assert len(await planner.targets(company.head, plan_id=in_force["id"])) == 2


class TestAcknowledge:
    async def test_the_rep_acknowledges_their_target(self, client, company, planner,
                                                     in_force):
        [mine] = await planner.targets(company.rep)
        url = f"{TARGETS}/{mine['id']}/acknowledge"
        stale = await client.post(url, headers={**company.rep, "If-Match": '"9"'})
        assert stale.status_code == 412
        response = await client.post(url, headers={**company.rep, "If-Match": '"1"'})
        done = ok(response)
        assert done["acknowledged_at"] is not None and done["version"] == 2
        assert response.headers["ETag"] == '"2"' and done["allowed_actions"] == []
        again = await client.post(url, headers=company.rep)
        assert again.status_code == 409
        assert again.json()["code"] == "sales_target.already_acknowledged"

    async def test_nobody_else_acknowledges_it(self, client, company, planner, in_force):
        [mine] = await planner.targets(company.rep)
        url = f"{TARGETS}/{mine['id']}/acknowledge"
        other_rep = await client.post(url, headers=company.other_rep)
        assert other_rep.status_code == 404  # not theirs to see
        head = await client.post(url, headers=company.head)
        assert head.status_code == 403
        assert head.json()["code"] == "sales_target.not_owner"
        gm = await client.post(url, headers=company.gm)  # the role gate
        assert gm.status_code == 403
        assert (await client.get(f"{TARGETS}/{mine['id']}",
                                 headers=company.rep)).json()["acknowledged_at"] is None

    async def test_only_once_the_plan_is_in_force(self, client, company, planner):
        plan = await planner.create("2026", "10.00")
        ok(await planner.allocate(plan["id"], target("rep.zhang", "10.00")))
        [mine] = await planner.targets(company.rep)
        assert mine["allowed_actions"] == []
        response = await client.post(f"{TARGETS}/{mine['id']}/acknowledge", headers=company.rep)
        assert response.status_code == 409
        assert response.json()["code"] == "sales_plan.not_in_force"
