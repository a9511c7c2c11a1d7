"""The plan and target lists as a screen uses them (the sorting and paging every list shares
is held by tests/core/test_sorted_lists.py): the year, status and amount filters at their
edges, the count, and the names beside the people's ids."""

from tests.factories.plans import PLANS, TARGETS, Planner, ok, target


async def _plans(client, headers, **params) -> dict:
    return ok(await client.get(PLANS, headers=headers, params=params))


class TestFilters:
    async def test_year_takes_the_yearly_and_monthly_plans_of_the_year(self, client, company,
                                                                       planner):
        yearly = await planner.create("2026", "100000.00")
        monthly = await planner.create("2026-03", "100000.01")
        await planner.create("2027", "5.00")
        found = await _plans(client, company.gm, year=2026, include_total="true")
        assert {p["id"] for p in found["items"]} == {yearly["id"], monthly["id"]}
        assert found["total"] == 2
        assert [p["id"] for p in (await _plans(client, company.gm, period="2026"))["items"]] \
            == [yearly["id"]]

    async def test_amount_bounds_are_the_target_amount_inclusive_to_the_cent(
            self, client, company, planner):
        await planner.create("2026", "100000.00")
        await planner.create("2027", "100000.01")

        async def amounts(**params: str) -> list[str]:
            return sorted(p["target_amount"]
                          for p in (await _plans(client, company.gm, **params))["items"])

        assert await amounts(amount_from="100000.01") == ["100000.01"]
        assert await amounts(amount_to="100000.00") == ["100000.00"]
        assert await amounts(amount_from="100000.00", amount_to="100000.00") == ["100000.00"]

    async def test_status_and_sort(self, client, company, planner):
        small = await planner.create("2026", "10.00")
        big = await planner.create("2027", "20.00")
        await planner.submit(big["id"])
        assert [p["id"] for p in (await _plans(client, company.gm, status="draft"))["items"]] \
            == [small["id"]]
        assert [p["id"] for p in (await _plans(client, company.gm,
                                               sort="-target_amount"))["items"]] \
            == [big["id"], small["id"]]

    async def test_targets_by_year_owner_and_amount(self, client, company, planner):
        plan = await planner.create("2026", "1000.00")
        ok(await planner.allocate(plan["id"], target("rep.zhang", "600.00"),
                                  target("rep.liu", "400.00")))
        other = await planner.create("2027", "50.00")
        ok(await planner.allocate(other["id"], target("rep.zhang", "50.00")))

        async def owners(**params) -> list[tuple[str, str]]:
            items = ok(await client.get(TARGETS, headers=company.gm, params=params))["items"]
            return [(t["owner_id"], t["amount"]) for t in items]

        assert await owners(year=2026, sort="amount") == [("rep.liu", "400.00"),
                                                          ("rep.zhang", "600.00")]
        assert await owners(owner_id="rep.zhang", sort="-amount") == [("rep.zhang", "600.00"),
                                                                      ("rep.zhang", "50.00")]
        assert await owners(amount_from="400.01", amount_to="600.00") == [
            ("rep.zhang", "600.00")]


class TestNames:
    async def test_plans_name_their_creator_and_targets_their_rep(self, client, company,
                                                                  headers_for):
        head = headers_for("dept_head", sub="head.wang", dept="east", name="王主任")
        rep = headers_for("sales_rep", sub="rep.zhang", dept="east", name="张伟")
        planner = Planner(client, company)
        plan = await planner.create("2026", "1000.00", headers=head)
        assert plan["created_by_name"] == "王主任"
        # The rep has not written yet: no name for them.
        allocated = ok(await planner.allocate(plan["id"], target("rep.zhang", "1000.00"),
                                              headers=head))
        assert [t["owner_name"] for t in allocated["targets"]] == [None]
        # Writing anything makes them known.
        ok(await client.post("/api/v1/leads", headers=rep, json={
            "source": "exhibition", "company": "宁波港城机械", "contact_name": "王经理",
            "phone": "13812345670"}), 201)
        [listed] = ok(await client.get(PLANS, headers=company.gm))["items"]
        assert (listed["created_by_name"], listed["targets"][0]["owner_name"]) == (
            "王主任", "张伟")
        [mine] = ok(await client.get(TARGETS, headers=rep))["items"]
        assert mine["owner_name"] == "张伟"
