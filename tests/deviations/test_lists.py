"""The growth target and analysis lists as a screen uses them (the sorting and paging every
list shares is held by tests/core/test_sorted_lists.py): filters, the count, and the names
beside the people's ids."""

from tests.deviations.conftest import ANALYSES, TARGETS, ok, shanghai

MEASURES = [{"description": "重点客户逐一拜访", "owner_id": "rep.zhang", "due_date": "2025-04-30"}]


class TestGrowthTargets:
    async def test_year_sort_and_who_set_them(self, client, books, headers_for):
        gm = headers_for("gm", sub="gm.zhou", name="周总")
        for year, rate in ((2025, "0.1000"), (2026, "0.0500")):
            set_ = ok(await client.post(TARGETS, headers=gm, json={
                "department_id": "east", "year": year, "growth_rate": rate}), 201)
            assert set_["set_by_name"] == "周总"

        async def rates(**params) -> list[tuple[int, str]]:
            body = ok(await client.get(TARGETS, headers=books.company.gm, params=params))
            return [(t["year"], t["growth_rate"]) for t in body["items"]]

        assert await rates(sort="growth_rate") == [(2026, "0.0500"), (2025, "0.1000")]
        assert await rates(year=2025) == [(2025, "0.1000")]
        assert await rates(department_id="west") == []
        body = ok(await client.get(TARGETS, headers=books.company.head,
                                   params={"include_total": "true"}))
        assert body["total"] == 2
        assert {t["set_by_name"] for t in body["items"]} == {"周总"}


class TestAnalyses:
    async def test_year_month_status_and_names(self, client, books, headers_for):
        head = headers_for("dept_head", sub="head.wang", dept="east", name="王主任")
        await books.sale("1000.00", shanghai(2024, 2, 10, 9, 0))
        await books.sale("1000.00", shanghai(2024, 3, 10, 9, 0))
        await books.sale("900.00", shanghai(2025, 2, 10, 9, 0))
        await books.sale("500.00", shanghai(2025, 3, 10, 9, 0))
        await books.target("0.1", 2025)
        february, march = [
            ok(await client.post(ANALYSES, headers=head, json={
                "department_id": "east", "period": period, "causes": "主要客户推迟采购",
                "measures": MEASURES}), 201)
            for period in ("2025-02", "2025-03")]
        assert february["created_by_name"] == "王主任"
        ok(await client.post(f"{ANALYSES}/{march['id']}/submit", headers=head))

        async def ids(**params) -> list[int]:
            body = ok(await client.get(ANALYSES, headers=books.company.gm, params=params))
            return [a["id"] for a in body["items"]]

        assert await ids(year=2025, month=2) == [february["id"]]
        assert await ids(status="pending_approval") == [march["id"]]
        assert await ids(year=2024) == []
        # The furthest below standard first: March (500 against 1,100) before February.
        assert await ids(sort="deviation") == [march["id"], february["id"]]
        [listed, _] = ok(await client.get(ANALYSES, headers=books.company.gm,
                                          params={"sort": "-deviation"}))["items"]
        assert listed["created_by_name"] == "王主任"
        assert listed["measures"][0]["owner_id"] == "rep.zhang"
