"""A period below its minimum standard calls for an analysis (causes, measures) that goes
to the GM; approved, its measures are tracked until every one is done."""

from tests.deviations.conftest import ANALYSES, ok, refused, shanghai
from tests.webhooks.test_catalog import assert_events_match_catalog

MEASURES = [{"description": "重点客户逐一拜访", "owner_id": "rep.zhang", "due_date": "2025-04-30"},
            {"description": "展会获客", "owner_id": "head.wang", "due_date": "2025-05-31"}]


def body(period: str = "2025-02", **overrides) -> dict:
    return {"department_id": "east", "period": period,
            "causes": "主要客户推迟采购; 竞品降价", "measures": MEASURES, **overrides}


async def _below(books) -> None:
    """East in February 2025: 900.00 against a standard of 1,100.00."""
    await books.sale("1000.00", shanghai(2024, 2, 10, 9, 0))
    await books.sale("900.00", shanghai(2025, 2, 10, 9, 0))
    await books.target("0.1", 2025)


class TestAnalysis:
    async def test_written_approved_by_the_gm_and_tracked_to_done(self, books, client,
                                                                  session):
        company = books.company
        await _below(books)
        draft = ok(await client.post(ANALYSES, headers=company.head, json=body()), 201)
        assert (draft["period"], draft["actual"], draft["baseline"], draft["growth_rate"],
                draft["standard"], draft["deviation"], draft["status"]) == (
            "2025-02", "900.00", "1000.00", "0.1000", "1100.00", "-200.00", "draft")
        assert draft["number"].startswith("PC-")
        assert [m["position"] for m in draft["measures"]] == [1, 2]
        assert draft["allowed_actions"] == ["update", "submit"]
        url = f"{ANALYSES}/{draft['id']}"
        edited = ok(await client.patch(url, headers={**company.head, "If-Match": '"1"'},
                                       json={"causes": "主要客户推迟采购"}))
        submitted = ok(await client.post(f"{url}/submit", headers=company.head))
        assert [[s["role"] for s in stage["steps"]] for stage in
                submitted["approval"]["stages"]] == [["gm"]]
        assert edited["version"] < submitted["version"]
        refused(await client.patch(url, headers=company.head, json={"causes": "x"}), 409,
                "deviation_analysis.locked")
        first = submitted["measures"][0]["id"]
        refused(await client.post(f"{url}/measures/{first}/done", headers=company.head,
                                  json={}), 409, "deviation_analysis.measures_not_open")
        ok(await client.post(f"/api/v1/approvals/{submitted['approval']['id']}/approve",
                             headers=company.gm, json={"comment": "同意, 按期落实"}))
        approved = ok(await client.get(url, headers=company.head))
        assert approved["status"] == "approved" and approved["approved_at"] is not None
        assert approved["allowed_actions"] == ["complete_measure"]

        [one, two] = [m["id"] for m in approved["measures"]]
        after_one = ok(await client.post(f"{url}/measures/{one}/done", headers=company.head,
                                         json={"note": "已拜访 12 家"}))
        assert after_one["status"] == "approved"
        assert after_one["measures"][0]["done_by"] == "head.wang"
        assert after_one["measures"][0]["done_note"] == "已拜访 12 家"
        refused(await client.post(f"{url}/measures/{one}/done", headers=company.head,
                                  json={}), 409, "deviation_measure.already_done")
        refused(await client.post(f"{url}/measures/999999/done", headers=company.head,
                                  json={}), 404, "deviation_measure.not_found")
        done = ok(await client.post(f"{url}/measures/{two}/done", headers=company.vp,
                                    json={}))
        assert done["status"] == "completed" and done["completed_at"] is not None
        assert all(m["done_at"] for m in done["measures"]) and done["allowed_actions"] == []

        seen = await assert_events_match_catalog(session, since=0)
        assert {"deviation_target.set", "deviation_analysis.created",
                "deviation_analysis.updated", "deviation_analysis.submitted",
                "deviation_analysis.approved", "deviation_analysis.measure_done",
                "deviation_analysis.completed"} <= set(seen)

    async def test_rejected_it_is_a_draft_again_and_may_be_recalled(self, books, client,
                                                                    session):
        company = books.company
        await _below(books)
        draft = ok(await client.post(ANALYSES, headers=company.vp, json=body()), 201)
        url = f"{ANALYSES}/{draft['id']}"
        submitted = ok(await client.post(f"{url}/submit", headers=company.vp))
        ok(await client.post(f"/api/v1/approvals/{submitted['approval']['id']}/reject",
                             headers=company.gm, json={"comment": "措施不具体"}))
        back = ok(await client.get(url, headers=company.head))
        assert (back["status"], back["rejection_reason"]) == ("draft", "措施不具体")
        ok(await client.patch(url, headers=company.vp, json={"measures": MEASURES[:1]}))
        ok(await client.post(f"{url}/submit", headers=company.vp))
        refused(await client.post(f"{url}/recall", headers=company.head), 403,
                "approval.not_submitter")
        recalled = ok(await client.post(f"{url}/recall", headers=company.vp))
        assert recalled["status"] == "draft" and len(recalled["measures"]) == 1
        seen = await assert_events_match_catalog(session, since=0)
        assert {"deviation_analysis.rejected", "deviation_analysis.recalled"} <= set(seen)

    async def test_only_below_the_standard_and_for_a_period_begun(self, books, client):
        company = books.company
        await books.sale("1000.00", shanghai(2024, 2, 10, 9, 0))
        await books.sale("1100.00", shanghai(2025, 2, 10, 9, 0))
        await books.target("0.1", 2025)
        problem = refused(await client.post(ANALYSES, headers=company.head, json=body()), 409,
                          "deviation.not_below_standard")
        assert (problem["actual"], problem["standard"], problem["deviation"]) == (
            "1100.00", "1100.00", "0.00")
        refused(await client.post(ANALYSES, headers=company.head, json=body("2099-01")), 422,
                "deviation.period_in_future")
        refused(await client.post(ANALYSES, headers=company.head, json=body(measures=[])), 422,
                "validation_error")

    async def test_who_writes_and_who_sees(self, books, client, headers_for):
        company = books.company
        await _below(books)
        draft = ok(await client.post(ANALYSES, headers=company.head, json=body()), 201)
        for headers in (company.rep, company.finance, company.gm):
            refused(await client.post(ANALYSES, headers=headers, json=body()), 403,
                    "forbidden")
        refused(await client.post(ANALYSES, headers=books.west_head, json=body()), 404,
                "deviation.unknown_department")
        url = f"{ANALYSES}/{draft['id']}"
        for headers in (company.head, company.vp, company.gm, company.finance,
                        headers_for("auditor")):
            ok(await client.get(url, headers=headers))
        for headers in (books.west_head, company.rep):
            refused(await client.get(url, headers=headers), 404,
                    "deviation_analysis.not_found")
        assert ok(await client.get(ANALYSES, headers=books.west_head))["items"] == []
        listed = ok(await client.get(ANALYSES, headers=company.gm,
                                     params={"status": "draft", "year": 2025}))
        assert [a["id"] for a in listed["items"]] == [draft["id"]]
