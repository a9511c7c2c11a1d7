"""Who sees a visit and who may act on it: a rep their own, the head the department, the
deputy GM the departments overseen, the company-wide roles all; invisible is 404. And the
list's filters and pages."""

import pytest

from tests.factories.customers import create_customer
from tests.factories.departments import create_department
from tests.visits.conftest import VISITS, ok, refused

READERS_ALL = ["gm", "finance", "legal", "auditor", "admin", "integration", "logistics",
               "customer_service", "quality", "board"]


class TestVisibility:
    async def test_who_sees_the_visit(self, visits, company, headers_for):
        visit = await visits.draft()
        for headers in (company.rep, company.head, company.vp, company.gm, company.finance):
            assert (await visits.read(visit["id"], headers))["id"] == visit["id"]
        for role in READERS_ALL:
            ok(await visits.get(visit["id"], headers_for(role)))
        strangers = [company.other_rep, headers_for("dept_head", sub="head.west", dept="west"),
                     headers_for("deputy_gm", sub="vp.west", depts=["west"])]
        for headers in strangers:
            refused(await visits.get(visit["id"], headers), 404, "visit.not_found")
            assert (await visits.listed(headers))["items"] == []
            refused(await visits.act(visit, "submit", headers=headers), 404, "visit.not_found")
        refused(await visits.get(999999), 404, "visit.not_found")

    @pytest.mark.parametrize("role", ["finance", "legal", "auditor", "logistics",
                                      "customer_service", "quality", "board", "integration"])
    async def test_reading_roles_may_not_write(self, visits, headers_for, role):
        visit = await visits.draft()
        headers = headers_for(role, sub=f"{role}.x")
        refused(await visits.create(headers=headers), 403, "forbidden")
        for action, body in (("submit", {}), ("cancel", {"reason": "x"}),
                             ("report", {"outcome": "x"}), ("recall", {})):
            refused(await visits.act(visit, action, body, headers=headers), 403, "forbidden")
        refused(await visits.client.patch(f"{VISITS}/{visit['id']}", headers=headers,
                                          json={"place": "x"}), 403, "forbidden")
        assert (await visits.read(visit["id"], headers))["allowed_actions"] == []

    async def test_managers_work_the_departments_visits(self, visits, company):
        visit = await visits.draft()
        edited = ok(await visits.client.patch(f"{VISITS}/{visit['id']}", headers=company.head,
                                              json={"purpose": "年度回访"}))
        assert edited["purpose"] == "年度回访"
        submitted = ok(await visits.act(visit, "submit", headers=company.vp))
        assert submitted["approval"]["submitted_by"] == "vp.li"
        # The deputy GM submitted it: the head decides, the deputy GM may not; a rep may not.
        refused(await visits.decide(submitted, company.vp), 403, "approval.self_approval")
        refused(await visits.decide(submitted, company.rep), 403, "approval.not_eligible")
        ok(await visits.decide(submitted, company.head))


class TestList:
    async def test_filters(self, visits, company, session, headers_for):
        west = await create_department(session, id="west2")
        other = await create_customer(session, department=west, owner_id="rep.zhao")
        zhao = headers_for("sales_rep", sub="rep.zhao", dept="west2")
        early = await visits.draft(planned_at="2026-03-11T01:00:00Z")  # 09:00 on the 11th
        late = await visits.draft(planned_at="2026-03-12T15:59:00Z")   # 23:59 on the 12th
        submitted = await visits.submitted(planned_at="2026-03-12T16:00:00Z")  # the 13th
        theirs = ok(await visits.create(headers=zhao, customer_id=other.id,
                                        planned_at="2026-03-20T02:00:00Z"), 201)

        def ids(page: dict) -> list[int]:
            return [v["id"] for v in page["items"]]

        gm = company.gm
        assert ids(await visits.listed(gm)) == [theirs["id"], submitted["id"], late["id"],
                                                early["id"]]
        assert ids(await visits.listed(gm, status="in_review")) == [submitted["id"]]
        assert ids(await visits.listed(gm, customer_id=other.id)) == [theirs["id"]]
        assert ids(await visits.listed(gm, owner_id="rep.zhang")) == [
            submitted["id"], late["id"], early["id"]]
        assert ids(await visits.listed(gm, department_id="west2")) == [theirs["id"]]
        # Days of the company calendar (Shanghai), both ends included.
        assert ids(await visits.listed(gm, planned_from="2026-03-12",
                                       planned_to="2026-03-12")) == [late["id"]]
        assert ids(await visits.listed(gm, planned_from="2026-03-12")) == [
            theirs["id"], submitted["id"], late["id"]]
        assert ids(await visits.listed(gm, planned_to="2026-03-11")) == [early["id"]]
        assert ids(await visits.listed(gm, number=early["number"].lower())) == [early["id"]]
        assert ids(await visits.listed(company.head)) == [submitted["id"], late["id"],
                                                          early["id"]]
        assert ids(await visits.listed(zhao)) == [theirs["id"]]
        refused(await visits.client.get(VISITS, headers=gm, params={"stauts": "draft"}), 400,
                "request.unknown_query_parameter")

    async def test_pages(self, visits, company):
        made = [(await visits.draft())["id"] for _ in range(5)]
        seen, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = await visits.listed(company.rep, **params)
            seen += [v["id"] for v in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(made, reverse=True)
        refused(await visits.client.get(VISITS, headers=company.rep,
                                        params={"cursor": "not-a-cursor"}), 400,
                "pagination.invalid_cursor")
