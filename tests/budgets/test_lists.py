"""The budget, expense and override lists as a screen uses them (the sorting and paging every
list shares is held by tests/core/test_sorted_lists.py): filters at their edges, the count,
and the names beside the people's ids."""

from tests.budgets.conftest import BUDGETS, ok
from tests.factories.budgets import budget_body


class TestBudgets:
    async def test_year_amount_and_sort(self, client, company, office):
        # Totals 230,000.01 and 230,000.00: the bounds are inclusive to the cent.
        first = await office.draft(year=2026)
        cheaper = budget_body(year=2027)
        cheaper["items"][2]["amount"] = "100000.00"
        second = ok(await client.post(BUDGETS, headers=company.head, json=cheaper), 201)

        async def ids(**params) -> list[int]:
            body = ok(await client.get(BUDGETS, headers=company.gm, params=params))
            return [b["id"] for b in body["items"]]

        assert await ids(year=2027) == [second["id"]]
        assert await ids(amount_from="230000.01") == [first["id"]]
        assert await ids(amount_to="230000.00") == [second["id"]]
        assert await ids(sort="total") == [second["id"], first["id"]]
        assert await ids(sort="-year") == [second["id"], first["id"]]
        counted = ok(await client.get(BUDGETS, headers=company.gm,
                                      params={"limit": 1, "include_total": "true"}))
        assert (counted["total"], len(counted["items"])) == (2, 1)

    async def test_a_budget_names_its_creator(self, client, company, headers_for):
        head = headers_for("dept_head", sub="head.wang", dept="east", name="王主任")
        created = ok(await client.post(BUDGETS, headers=head, json=budget_body()), 201)
        assert created["created_by_name"] == "王主任"
        [listed] = ok(await client.get(BUDGETS, headers=company.gm))["items"]
        assert listed["created_by_name"] == "王主任"


class TestExpenses:
    async def test_days_amounts_spender_and_names(self, client, company, office, headers_for):
        budget = await office.approved()
        head = headers_for("dept_head", sub="head.wang", dept="east", name="王主任")
        march = ok(await office.spend(budget["id"], "100.00", spent_on="2026-03-05",
                                      headers=head), 201)
        assert (march["spent_by_name"], march["recorded_by_name"]) == ("王主任", "王主任")
        april = ok(await office.spend(budget["id"], "100.01", spent_on="2026-04-01"), 201)
        url = f"{BUDGETS}/{budget['id']}/expenses"

        async def ids(**params) -> list[int]:
            return [e["id"] for e in ok(await client.get(url, headers=company.gm,
                                                         params=params))["items"]]

        assert await ids(spent_from="2026-03-06") == [april["id"]]
        assert await ids(spent_to="2026-03-05") == [march["id"]]
        assert await ids(amount_from="100.01") == [april["id"]]
        assert await ids(amount_to="100.00") == [march["id"]]
        assert await ids(sort="spent_on") == [march["id"], april["id"]]
        assert await ids(spent_by="head.wang") == [april["id"], march["id"]]
        assert await ids(spent_by="rep.zhang") == []

    async def test_overrides_name_their_requester(self, client, company, office, headers_for):
        budget = await office.approved()
        head = headers_for("dept_head", sub="head.wang", dept="east", name="王主任")
        requested = ok(await office.override(budget["id"], "10000.01", headers=head), 201)
        assert requested["requested_by_name"] == "王主任"
        body = ok(await client.get(f"{BUDGETS}/{budget['id']}/overrides", headers=company.gm,
                                   params={"include_total": "true", "sort": "-amount"}))
        assert body["total"] == 1
        assert [o["requested_by_name"] for o in body["items"]] == ["王主任"]
