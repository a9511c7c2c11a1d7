"""A sales plan from draft to in force: who drafts it, one per department and period, its
product lines adding up, and its approval deputy GM → GM (SPEC §2.1, §4)."""

import re

import pytest

from tests.factories.plans import PLANS, ok


class TestCreate:
    async def test_head_drafts_the_department_plan(self, client, company, planner):
        response = await client.post(PLANS, headers=company.head, json={
            "department_id": "east", "period": "2026", "target_amount": 1200000,
            "lines": [{"product_line": "pumps", "amount": "800000.00"},
                      {"product_line": "valves", "amount": "400000"}]})
        plan = ok(response, 201)
        assert response.headers["Location"] == f"/api/v1/sales-plans/{plan['id']}"
        assert response.headers["ETag"] == '"1"'
        assert re.fullmatch(r"JH-\d{4}-\d{6}", plan["number"])
        assert (plan["status"], plan["revision"], plan["year"], plan["month"]) == (
            "draft", 1, 2026, None)
        assert plan["target_amount"] == "1200000.00"
        assert [(line["product_line"], line["amount"]) for line in plan["lines"]] == [
            ("pumps", "800000.00"), ("valves", "400000.00")]
        assert plan["allowed_actions"] == ["update", "submit", "cancel", "allocate"]

    async def test_a_retry_with_the_same_key_is_one_plan(self, client, company):
        body = {"department_id": "east", "period": "2028", "target_amount": "10.00"}
        headers = {**company.head, "Idempotency-Key": "plan-2028"}
        first = ok(await client.post(PLANS, headers=headers, json=body), 201)
        again = ok(await client.post(PLANS, headers=headers, json=body), 201)
        assert again["id"] == first["id"]
        other = await client.post(PLANS, headers=headers, json={**body, "target_amount": 11})
        assert other.status_code == 422
        assert len(ok(await client.get(PLANS, headers=company.head))["items"]) == 1

    async def test_a_monthly_plan(self, planner):
        plan = await planner.create("2026-03", "90000.00")
        assert (plan["period"], plan["year"], plan["month"]) == ("2026-03", 2026, 3)

    @pytest.mark.parametrize("period", ["2026-13", "2026-00", "26", "2026-3", "2026/03"])
    async def test_a_period_is_a_year_or_a_month(self, client, company, period):
        response = await client.post(PLANS, headers=company.head, json={
            "department_id": "east", "period": period, "target_amount": "1.00"})
        assert response.status_code == 422, response.text

    async def test_one_plan_per_department_and_period(self, client, company, planner):
        first = await planner.create("2026")
        response = await client.post(PLANS, headers=company.vp, json={
            "department_id": "east", "period": "2026", "target_amount": "5.00"})
        assert response.status_code == 409
        assert response.json()["code"] == "sales_plan.exists"
        assert response.json()["plan_id"] == first["id"]
        # Another period, or the same period of another department, is another plan.
        await planner.create("2026-01")
        await planner.create("2026", headers=company.gm, department_id="west")

    async def test_a_cancelled_draft_frees_the_period(self, client, company, planner):
        plan = await planner.create("2027")
        cancelled = ok(await client.post(f"{PLANS}/{plan['id']}/cancel", headers=company.head))
        assert cancelled["status"] == "cancelled" and cancelled["allowed_actions"] == []
        again = await planner.create("2027")
        assert again["number"] != plan["number"]

    @pytest.mark.parametrize(("lines", "difference"), [
        (["600000.00", "399999.99"], "0.01"), (["600000.00", "400000.01"], "-0.01")])
    async def test_product_lines_add_up_to_the_cent(self, client, company, lines, difference):
        response = await client.post(PLANS, headers=company.head, json={
            "department_id": "east", "period": "2026", "target_amount": "1000000.00",
            "lines": [{"product_line": f"line{n}", "amount": a} for n, a in enumerate(lines)]})
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "sales_plan.lines_mismatch"
        assert (problem["total"], problem["difference"]) == (
            f"{sum(float(a) for a in lines):.2f}", difference)
        listed = ok(await client.get(PLANS, headers=company.head))["items"]
        assert listed == []

    async def test_a_product_line_once(self, client, company):
        response = await client.post(PLANS, headers=company.head, json={
            "department_id": "east", "period": "2026", "target_amount": "2.00",
            "lines": [{"product_line": "pumps", "amount": "1.00"},
                      {"product_line": "pumps", "amount": "1.00"}]})
        assert response.status_code == 422


class TestWhoPlans:
    @pytest.mark.parametrize(("role", "dept", "depts", "status"), [
        ("dept_head", "east", None, 201),
        ("deputy_gm", None, ["east", "north"], 201),
        ("gm", None, None, 201),
        ("admin", None, None, 201),
        ("dept_head", "west", None, 422),      # not their department
        ("deputy_gm", None, ["west"], 422),    # not overseen
        ("sales_rep", "east", None, 403),
        ("finance", None, None, 403),
        ("legal", None, None, 403),
        ("logistics", None, None, 403),
        ("board", None, None, 403),
        ("auditor", None, None, 403),
        ("integration", None, None, 403),
        ("customer_service", None, None, 403),
        ("quality", None, None, 403),
    ])
    async def test_role_matrix_for_drafting(self, client, company, headers_for, role, dept,
                                            depts, status):
        response = await client.post(PLANS, headers=headers_for(role, dept=dept, depts=depts),
                                     json={"department_id": "east", "period": "2026",
                                           "target_amount": "100.00"})
        assert response.status_code == status, response.text
        if status == 422:
            assert response.json()["code"] == "sales_plan.unknown_department"

    async def test_unknown_department(self, client, company):
        response = await client.post(PLANS, headers=company.gm, json={
            "department_id": "nowhere", "period": "2026", "target_amount": "100.00"})
        assert response.status_code == 422
        assert response.json()["code"] == "sales_plan.unknown_department"

    @pytest.mark.parametrize(("role", "dept", "depts", "sees"), [
        ("dept_head", "east", None, True), ("dept_head", "west", None, False),
        ("deputy_gm", None, ["east"], True), ("deputy_gm", None, ["west"], False),
        ("gm", None, None, True), ("finance", None, None, True), ("board", None, None, True),
        ("auditor", None, None, True), ("sales_rep", "east", None, False),
        ("logistics", None, None, False),
    ])
    async def test_who_sees_a_plan(self, client, planner, headers_for, role, dept, depts,
                                   sees):
        plan = await planner.create()
        headers = headers_for(role, dept=dept, depts=depts)
        response = await client.get(f"{PLANS}/{plan['id']}", headers=headers)
        assert response.status_code == (200 if sees else 404)
        listed = ok(await client.get(PLANS, headers=headers))["items"]
        assert [p["id"] for p in listed] == ([plan["id"]] if sees else [])

    async def test_a_reader_may_not_write(self, client, company, planner):
        plan = await planner.create()
        response = await client.patch(f"{PLANS}/{plan['id']}", headers=company.finance,
                                      json={"title": "x"})
        assert response.status_code == 403
        got = ok(await client.get(f"{PLANS}/{plan['id']}", headers=company.finance))
        assert got["allowed_actions"] == [] and got["version"] == 1


class TestDraft:
    async def test_edit_a_draft(self, client, company, planner):
        plan = await planner.create(lines=[{"product_line": "pumps", "amount": "1000000.00"}])
        url = f"{PLANS}/{plan['id']}"
        stale = await client.patch(url, headers={**company.head, "If-Match": '"7"'},
                                   json={"title": "x"})
        assert stale.status_code == 412
        # The target moves with lines that still add up, or not at all.
        refused = await client.patch(url, headers=company.head,
                                     json={"target_amount": "900000.00"})
        assert refused.status_code == 422
        assert refused.json()["code"] == "sales_plan.lines_mismatch"
        edited = ok(await client.patch(url, headers={**company.head, "If-Match": '"1"'}, json={
            "target_amount": "900000.00", "title": "东区 2026 年度销售计划",
            "lines": [{"product_line": "pumps", "amount": "500000"},
                      {"product_line": "seals", "amount": "400000"}]}))
        assert (edited["target_amount"], edited["version"]) == ("900000.00", 2)
        assert [line["product_line"] for line in edited["lines"]] == ["pumps", "seals"]

    async def test_in_approval_it_is_locked(self, client, company, planner):
        plan = await planner.submit((await planner.create())["id"])
        response = await client.patch(f"{PLANS}/{plan['id']}", headers=company.head,
                                      json={"title": "x"})
        assert response.status_code == 409
        assert response.json()["code"] == "sales_plan.locked"
        cancel = await client.post(f"{PLANS}/{plan['id']}/cancel", headers=company.head)
        assert cancel.status_code == 409
        assert cancel.json()["code"] == "state.invalid_transition"


class TestApproval:
    async def test_the_chain_is_previewed_before_submitting(self, client, company, planner):
        plan = await planner.create("2026", "600000.00")
        preview = ok(await client.post("/api/v1/approvals/preview", headers=company.head,
                                       json={"document_type": "sales_plan",
                                             "document_id": plan["id"]}))
        assert [[s["role"] for s in stage["steps"]] for stage in preview["stages"]] == [
            ["deputy_gm"], ["gm"]]

    async def test_the_approver_sees_what_they_may_do(self, client, company, planner):
        plan = await planner.submit((await planner.create())["id"])
        inbox = ok(await client.get("/api/v1/approvals", headers=company.vp,
                                    params={"actionable": "true"}))["items"]
        assert [r["id"] for r in inbox] == [plan["approval"]["id"]]
        seen = await planner.get(plan["id"], headers=company.vp)
        assert seen["allowed_actions"] == ["approve", "reject"]

    async def test_deputy_gm_then_gm(self, client, company, planner):
        plan = await planner.submit((await planner.create("2026", "600000.00"))["id"])
        assert plan["status"] == "pending_approval"
        assert [[s["role"] for s in stage["steps"]] for stage in plan["approval"]["stages"]] \
            == [["deputy_gm"], ["gm"]]
        assert "recall" in plan["allowed_actions"]
        approved = await planner.approve(plan)
        assert approved["status"] == "approved" and approved["approved_at"] is not None
        assert approved["allowed_actions"] == ["allocate", "revise"]

    async def test_the_vp_may_not_approve_what_they_submitted(self, client, company, planner):
        created = await planner.create(headers=company.vp)
        submitted = ok(await client.post(f"{PLANS}/{created['id']}/submit",
                                         headers=company.vp))
        response = await client.post(f"/api/v1/approvals/{submitted['approval']['id']}/approve",
                                     headers=company.vp, json={})
        assert response.status_code == 403

    async def test_rejected_back_to_draft_with_the_reason(self, client, company, planner):
        plan = await planner.submit((await planner.create())["id"])
        ok(await client.post(f"/api/v1/approvals/{plan['approval']['id']}/reject",
                             headers=company.vp, json={"comment": "目标偏低"}))
        again = await planner.get(plan["id"])
        assert (again["status"], again["rejection_reason"]) == ("draft", "目标偏低")
        resubmitted = await planner.submit(plan["id"])
        assert resubmitted["status"] == "pending_approval"
        assert resubmitted["rejection_reason"] is None

    async def test_recalled_by_the_submitter(self, client, company, planner):
        plan = await planner.submit((await planner.create())["id"])
        other = await client.post(f"{PLANS}/{plan['id']}/recall", headers=company.gm)
        assert other.status_code == 403
        recalled = ok(await client.post(f"{PLANS}/{plan['id']}/recall", headers=company.head))
        assert recalled["status"] == "draft"

    async def test_an_approved_plan_cannot_be_submitted_again(self, client, company, planner):
        plan = await planner.approved()
        response = await client.post(f"{PLANS}/{plan['id']}/submit", headers=company.head)
        assert response.status_code == 409
        assert response.json()["allowed_next"] == ["superseded"]

    async def test_list_filters(self, client, company, planner):
        yearly = await planner.approved("2026")
        monthly = await planner.create("2026-05")
        by = {"period": "2026-05"}
        assert [p["id"] for p in ok(await client.get(PLANS, headers=company.head,
                                                     params=by))["items"]] == [monthly["id"]]
        assert [p["id"] for p in ok(await client.get(PLANS, headers=company.head, params={
            "status": "approved"}))["items"]] == [yearly["id"]]
        assert [p["id"] for p in ok(await client.get(PLANS, headers=company.head, params={
            "number": yearly["number"].lower()}))["items"]] == [yearly["id"]]
        unknown = await client.get(PLANS, headers=company.head, params={"owner": "x"})
        assert unknown.status_code == 400
