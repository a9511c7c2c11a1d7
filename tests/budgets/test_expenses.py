"""Expenses against an approved budget: held to each item's remainder for the year, exactly
the remainder allowed and a cent more refused with the figures; beyond it only through an
override the GM approves."""

from tests.budgets.conftest import BUDGETS, OVERRIDES, item, ok, refused
from tests.webhooks.test_catalog import assert_events_match_catalog


class TestRemainder:
    async def test_exactly_the_remainder_then_not_a_cent_more(self, office, client, company):
        budget = await office.approved()  # office: 10,000.00 for the year
        first = ok(await office.spend(budget["id"], "4000.00"), 201)
        assert (first["category"], first["amount"], first["override_id"]) == (
            "office", "4000.00", None)
        problem = refused(await office.spend(budget["id"], "6000.01"), 409,
                          "expense_budget.over_remainder")
        assert (problem["remainder"], problem["amount_over"]) == ("6000.00", "0.01")
        chinese = refused(await office.spend(budget["id"], "6000.01", headers={
            **company.head, "Accept-Language": "zh-CN"}), 409, "expense_budget.over_remainder")
        assert chinese["title"] == "费用超出该科目剩余预算，可申请总经理特批"
        assert chinese["detail"] == "该科目剩余预算 6000.00，本笔费用超出 0.01。"
        ok(await office.spend(budget["id"], "6000.00", spent_on="2026-12-31"), 201)
        problem = refused(await office.spend(budget["id"], "0.01"), 409,
                          "expense_budget.over_remainder")
        assert (problem["remainder"], problem["amount_over"]) == ("0.00", "0.01")
        office_item = item(await office.read(budget["id"]), "office")
        assert (office_item["spent"], office_item["remainder"]) == ("10000.00", "0.00")
        # The spread is shown beside what each month spent.
        months = {m["month"]: m for m in office_item["months"]}
        assert (months[3]["planned"], months[3]["spent"]) == ("800.00", "4000.00")
        assert months[12]["spent"] == "6000.00" and months[1]["spent"] == "0.00"
        listed = ok(await client.get(f"{BUDGETS}/{budget['id']}/expenses",
                                     headers=company.finance, params={"category": "office"}))
        assert [e["amount"] for e in listed["items"]] == ["6000.00", "4000.00"]

    async def test_items_are_held_apart(self, office):
        budget = await office.approved()
        ok(await office.spend(budget["id"], "10000.00"), 201)
        ok(await office.spend(budget["id"], "120000.00", category="travel"), 201)
        refused(await office.spend(budget["id"], "1.00", category="exhibition"), 422,
                "expense_budget.no_such_item")

    async def test_only_in_the_budget_year_and_once_approved(self, office, client, company):
        draft = await office.draft(year=2027)
        refused(await office.spend(draft["id"], "1.00", spent_on="2027-01-01"), 409,
                "expense_budget.not_in_force")
        budget = await office.approved()
        for day in ("2025-12-31", "2027-01-01"):
            refused(await office.spend(budget["id"], "1.00", spent_on=day), 422,
                    "expense_budget.outside_year")
        ok(await office.spend(budget["id"], "1.00", spent_on="2026-01-01"), 201)

    async def test_who_records(self, office, client, company, headers_for):
        budget = await office.approved()
        ok(await office.spend(budget["id"], "1.00", headers=company.finance), 201)
        for headers in (company.rep, company.gm, company.vp):
            refused(await office.spend(budget["id"], "1.00", headers=headers), 403, "forbidden")
        refused(await office.spend(budget["id"], "1.00", headers=office.west_head), 404,
                "expense_budget.not_found")


class TestOverride:
    async def test_the_gm_allows_spending_beyond_the_remainder(self, office, client, company,
                                                               session):
        budget = await office.approved()
        ok(await office.spend(budget["id"], "9999.99"), 201)
        refused(await office.override(budget["id"], "0.01"), 409,
                "expense_override.within_remainder")
        pending = ok(await office.override(budget["id"], "500.00"), 201)
        assert (pending["status"], pending["remainder_at_request"]) == (
            "pending_approval", "0.01")
        assert [[s["role"] for s in stage["steps"]] for stage in
                pending["approval"]["stages"]] == [["gm"]]
        assert ok(await client.get(f"{OVERRIDES}/{pending['id']}", headers=company.gm)
                  )["allowed_actions"] == ["approve", "reject"]
        # Neither the requester nor finance decides it, the GM does; the expense is booked
        # then.
        for headers, code in ((company.head, "approval.self_approval"),
                              (company.finance, "approval.not_eligible")):
            refused(await client.post(f"/api/v1/approvals/{pending['approval']['id']}/approve",
                                      headers=headers, json={}), 403, code)
        await office.approve(pending["approval"]["id"], company.gm)
        done = ok(await client.get(f"{OVERRIDES}/{pending['id']}", headers=company.head))
        assert done["status"] == "approved" and done["expense_id"] is not None
        office_item = item(await office.read(budget["id"]), "office")
        assert (office_item["spent"], office_item["remainder"]) == ("10499.99", "-499.99")
        [booked, _first] = ok(await client.get(f"{BUDGETS}/{budget['id']}/expenses",
                                               headers=company.head))["items"]
        assert (booked["amount"], booked["override_id"], booked["recorded_by"]) == (
            "500.00", pending["id"], "head.wang")
        # Beyond the remainder, nothing else passes without another override.
        refused(await office.spend(budget["id"], "0.01"), 409, "expense_budget.over_remainder")
        seen = await assert_events_match_catalog(session, since=0)
        assert {"expense_override.requested", "expense_override.approved",
                "expense_budget.expense_recorded"} <= set(seen)

    async def test_rejected_or_recalled_nothing_is_booked(self, office, client, company,
                                                         session):
        budget = await office.approved()
        rejected = ok(await office.override(budget["id"], "10000.01"), 201)
        ok(await client.post(f"/api/v1/approvals/{rejected['approval']['id']}/reject",
                             headers=company.gm, json={"comment": "压缩开支"}))
        after = ok(await client.get(f"{OVERRIDES}/{rejected['id']}", headers=company.head))
        assert (after["status"], after["rejection_reason"], after["expense_id"]) == (
            "rejected", "压缩开支", None)
        recalled = ok(await office.override(budget["id"], "10000.01"), 201)
        refused(await client.post(f"{OVERRIDES}/{recalled['id']}/recall",
                                  headers=company.finance), 403, "approval.not_submitter")
        assert ok(await client.post(f"{OVERRIDES}/{recalled['id']}/recall",
                                    headers=company.head))["status"] == "recalled"
        assert item(await office.read(budget["id"]), "office")["spent"] == "0.00"
        listed = ok(await client.get(f"{BUDGETS}/{budget['id']}/overrides",
                                     headers=company.gm, params={"status": "rejected"}))
        assert [o["id"] for o in listed["items"]] == [rejected["id"]]
        refused(await client.get(f"{OVERRIDES}/{rejected['id']}", headers=office.west_head),
                404, "expense_override.not_found")
        seen = await assert_events_match_catalog(session, since=0)
        assert {"expense_override.rejected", "expense_override.recalled"} <= set(seen)


class TestAudit:
    async def test_each_expense_is_audited_with_the_item_before_and_after(self, office, client,
                                                                         company, headers_for):
        budget = await office.approved()
        ok(await office.spend(budget["id"], "2500.00"), 201)
        entries = ok(await client.get("/api/v1/audit-log", headers=headers_for("auditor"),
                                      params={"entity_type": "expense_budget",
                                              "entity_id": str(budget["id"])}))["items"]
        recorded = [e for e in entries if e["action"] == "expense_budget.expense_recorded"]
        assert len(recorded) == 1
        assert (recorded[0]["actor_id"], recorded[0]["before"]["spent"],
                recorded[0]["after"]["spent"]) == ("head.wang", "0.00", "2500.00")
        assert {"expense_budget.created", "expense_budget.submitted",
                "expense_budget.approved"} <= {e["action"] for e in entries}
