"""Drafting a budget, its seasonal spread, its approval (finance → GM), who sees it and
what each caller may do to it."""

from decimal import Decimal

from tests.budgets.conftest import BUDGETS, item, ok, refused
from tests.factories.budgets import RATIOS, budget_body
from tests.webhooks.test_catalog import assert_events_match_catalog


def _planned(budget_item: dict) -> list[str]:
    return [m["planned"] for m in budget_item["months"]]


class TestSeasonalSpread:
    async def test_months_add_up_to_the_cent_with_the_rest_in_the_stated_month(self, office):
        budget = await office.draft()
        advertising = item(budget, "advertising")  # 100,000.01
        # Each month its ratio rounded down; December takes the cent left over.
        assert _planned(advertising) == [
            "5000.00", "5000.00", *["8000.00"] * 7, "10000.00", "12000.00", "12000.01"]
        assert sum(Decimal(m) for m in _planned(advertising)) == Decimal("100000.01")
        assert [m["planned"] for m in item(budget, "office")["months"]][:2] == ["500.00",
                                                                               "500.00"]
        assert (budget["total"], budget["remainder"], budget["status"]) == (
            "230000.01", "230000.01", "draft")
        assert budget["number"].startswith("FY-")

    async def test_the_remainder_month_takes_what_rounding_down_leaves(self, office):
        budget = await office.draft(remainder_month=1, seasonal_ratios=["8.33"] * 11 + ["8.37"],
                                    items=[{"category": "phone", "amount": "0.01"},
                                           {"category": "other", "amount": "1000.00"}])
        assert _planned(item(budget, "phone")) == ["0.01"] + ["0.00"] * 11
        # 1000 × 8.33 % = 83.30 for February to November, 83.70 for December; January the
        # rest: 1000 − 10 × 83.30 − 83.70 = 83.30.
        assert _planned(item(budget, "other")) == ["83.30"] * 11 + ["83.70"]

    async def test_ratios_must_be_twelve_and_add_up_to_100(self, office, client, company):
        for ratios in (RATIOS[:11], [*RATIOS[:11], "11.99"], [*RATIOS[:11], "12.001"]):
            refused(await client.post(BUDGETS, headers=company.head,
                                      json=budget_body(seasonal_ratios=ratios)),
                    422, "validation_error")
        twice = [{"category": "travel", "amount": "1"}, {"category": "travel", "amount": "2"}]
        refused(await client.post(BUDGETS, headers=company.head, json=budget_body(items=twice)),
                422, "validation_error")

    async def test_one_budget_per_department_and_year(self, office, client, company):
        await office.draft()
        refused(await client.post(BUDGETS, headers=company.finance, json=budget_body()),
                409, "expense_budget.exists")
        ok(await client.post(BUDGETS, headers=company.finance, json=budget_body(year=2027)),
           201)


class TestEditing:
    async def test_a_draft_is_edited_under_if_match_and_items_are_replaced(self, office,
                                                                          client, company):
        budget = await office.draft()
        url = f"{BUDGETS}/{budget['id']}"
        refused(await client.patch(url, headers={**company.head, "If-Match": '"9"'},
                                   json={"title": "x"}), 412, "precondition_failed")
        edited = ok(await client.patch(url, headers={**company.head, "If-Match": '"1"'},
                                       json={"items": [{"category": "exhibition",
                                                        "amount": "5000.00"}]}))
        assert [i["category"] for i in edited["items"]] == ["exhibition"]
        assert (edited["total"], edited["version"]) == ("5000.00", 2)

    async def test_idempotent_create(self, office, client, company):
        headers = {**company.head, "Idempotency-Key": "budget-2026-east"}
        first = ok(await client.post(BUDGETS, headers=headers, json=budget_body()), 201)
        again = ok(await client.post(BUDGETS, headers=headers, json=budget_body()), 201)
        assert again["id"] == first["id"]


class TestApproval:
    async def test_finance_then_the_gm(self, office, client, company, session):
        budget = await office.draft()
        url = f"{BUDGETS}/{budget['id']}"
        submitted = ok(await client.post(f"{url}/submit", headers=company.head))
        assert submitted["status"] == "pending_approval"
        assert [[s["role"] for s in stage["steps"]] for stage in
                submitted["approval"]["stages"]] == [["finance"], ["gm"]]
        refused(await client.patch(url, headers=company.head, json={"title": "x"}),
                409, "expense_budget.locked")
        assert "approve" in (await office.read(budget["id"], company.finance))["allowed_actions"]
        await office.approve(submitted["approval"]["id"], company.finance, company.gm)
        approved = await office.read(budget["id"])
        assert approved["status"] == "approved" and approved["approved_at"] is not None
        assert approved["allowed_actions"] == ["record_expense", "request_override"]
        assert (await office.read(budget["id"], company.gm))["allowed_actions"] == []
        seen = await assert_events_match_catalog(session, since=0)
        assert {"expense_budget.created", "expense_budget.submitted",
                "expense_budget.approved"} <= set(seen)

    async def test_rejected_it_is_a_draft_again_and_recalled_too(self, office, client, company,
                                                                 session):
        budget = await office.draft()
        url = f"{BUDGETS}/{budget['id']}"
        submitted = ok(await client.post(f"{url}/submit", headers=company.head))
        ok(await client.post(f"/api/v1/approvals/{submitted['approval']['id']}/reject",
                             headers=company.finance, json={"comment": "差旅偏高"}))
        back = await office.read(budget["id"])
        assert (back["status"], back["rejection_reason"]) == ("draft", "差旅偏高")
        assert back["allowed_actions"] == ["update", "submit"]
        ok(await client.post(f"{url}/submit", headers=company.head))
        refused(await client.post(f"{url}/recall", headers=company.finance), 403,
                "approval.not_submitter")
        recalled = ok(await client.post(f"{url}/recall", headers=company.head))
        assert recalled["status"] == "draft"
        seen = await assert_events_match_catalog(session, since=0)
        assert {"expense_budget.rejected", "expense_budget.recalled"} <= set(seen)

    async def test_the_policy_lists_the_override(self, client, company):
        policy = ok(await client.get("/api/v1/approval-policy", headers=company.admin))
        stages = policy["policy"]["documents"]["expense_override"]["stages"]
        assert [[s["role"] for s in stage["steps"]] for stage in stages] == [["gm"]]


class TestVisibilityAndRoles:
    async def test_heads_see_their_department_finance_and_the_gm_all(self, office, client,
                                                                     company, headers_for):
        budget = await office.draft()
        url = f"{BUDGETS}/{budget['id']}"
        for headers in (company.head, company.vp, company.finance, company.gm,
                        headers_for("auditor")):
            ok(await client.get(url, headers=headers))
        for headers in (office.west_head, company.rep, headers_for("deputy_gm", depts=["west"]),
                        headers_for("logistics")):
            refused(await client.get(url, headers=headers), 404, "expense_budget.not_found")
        assert ok(await client.get(BUDGETS, headers=office.west_head))["items"] == []
        listed = ok(await client.get(BUDGETS, headers=company.finance,
                                     params={"department_id": "east", "year": 2026}))
        assert [b["id"] for b in listed["items"]] == [budget["id"]]

    async def test_who_may_draft(self, office, client, company):
        for headers in (company.rep, company.gm, company.vp, company.legal):
            refused(await client.post(BUDGETS, headers=headers, json=budget_body()),
                    403, "forbidden")
        # A head drafts for their own department only; finance for any.
        refused(await client.post(BUDGETS, headers=office.west_head, json=budget_body()),
                422, "expense_budget.unknown_department")
        ok(await client.post(BUDGETS, headers=office.west_head,
                             json=budget_body(department_id="west")), 201)
        refused(await client.post(BUDGETS, headers=company.finance,
                                  json=budget_body(department_id="nowhere")),
                422, "expense_budget.unknown_department")
