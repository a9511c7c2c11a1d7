"""Visits on the approval kernel: the policy's `customer_visit` (department head within 24
hours; the deputy GM too for a key customer), rejection and resubmission, and the SLA's
escalation on a moved clock."""

from datetime import datetime, timedelta

from app.approvals import sla
from tests.visits.conftest import ok, refused


def roles(visit: dict) -> list[list[str]]:
    return [[step["role"] for step in stage["steps"]] for stage in visit["approval"]["stages"]]


class TestKeyCustomer:
    async def test_a_key_customer_adds_the_deputy_gm(self, visits, client, company):
        ok(await client.patch(f"/api/v1/customers/{company.customer_id}", headers=company.rep,
                              json={"is_key_customer": True}))
        visit = await visits.submitted()
        assert visit["key_customer"] is True
        assert roles(visit) == [["dept_head"], ["deputy_gm"]]
        assert visit["approval"]["flags"] == ["key_customer"]

        ok(await visits.decide(visit, company.head))
        after_head = await visits.read(visit["id"])
        assert after_head["status"] == "in_review"
        assert [w["role"] for w in after_head["approval"]["waiting_on"]] == ["deputy_gm"]
        ok(await visits.decide(visit, company.vp))
        assert (await visits.read(visit["id"]))["status"] == "approved"

    async def test_the_flag_is_read_at_each_submission(self, visits, client, company):
        visit = await visits.submitted()
        assert roles(visit) == [["dept_head"]]
        ok(await visits.act(visit, "recall"))
        ok(await client.patch(f"/api/v1/customers/{company.customer_id}", headers=company.rep,
                              json={"is_key_customer": True}))
        again = ok(await visits.act(visit, "submit"))
        assert roles(again) == [["dept_head"], ["deputy_gm"]]


class TestRejection:
    async def test_rejected_then_edited_and_resubmitted(self, visits, company):
        visit = await visits.submitted()
        first_request = visit["approval"]["id"]
        refused(await visits.decide(visit, company.head, "reject"), 422, "validation_error")
        ok(await visits.decide(visit, company.head, "reject", comment="时间与展会冲突"))
        rejected = await visits.read(visit["id"])
        assert rejected["status"] == "rejected"
        assert rejected["rejection_reason"] == "时间与展会冲突"
        assert rejected["allowed_actions"] == ["update", "submit", "cancel"]
        refused(await visits.act(rejected, "report", {"outcome": "x"}), 409,
                "state.invalid_transition")

        edited = ok(await visits.client.patch(
            f"/api/v1/visits/{visit['id']}", headers=company.rep,
            json={"planned_at": "2026-03-13T02:00:00Z"}))
        assert edited["status"] == "rejected"
        again = ok(await visits.act(edited, "submit", if_match=edited["version"]))
        assert again["status"] == "in_review" and again["rejection_reason"] is None
        assert again["approval"]["id"] != first_request
        ok(await visits.decide(again, company.head))
        assert (await visits.read(visit["id"]))["status"] == "approved"
        assert await visits.events(visit["id"]) == [
            "visit.created", "visit.submitted", "visit.rejected", "visit.updated",
            "visit.submitted", "visit.approved"]

    async def test_the_submitter_never_decides(self, visits, company, headers_for):
        # A head requesting a visit to the department's customer: their own request goes
        # to someone else (segregation of duties).
        visit = ok(await visits.create(headers=company.head), 201)
        submitted = ok(await visits.act(visit, "submit", headers=company.head))
        refused(await visits.decide(submitted, company.head), 403, "approval.self_approval")
        other_head = headers_for("dept_head", sub="head.li", dept="east")
        ok(await visits.decide(submitted, other_head))


class TestDeadline:
    async def test_an_overdue_decision_escalates_to_the_deputy_gm(self, visits, company,
                                                                   session):
        visit = await visits.submitted(planned_at="2026-03-20T02:00:00Z")
        step = visit["approval"]["stages"][0]["steps"][0]
        assert step["role"] == "dept_head"
        due = datetime.fromisoformat(visit["approval"]["due_at"])
        assert due > visits.clock.now  # 24 working hours on the company calendar
        assert (await visits.listed(overdue="true"))["items"] == []

        assert await sla.sweep_overdue(session, now=due - timedelta(minutes=1)) == 0
        assert await sla.sweep_overdue(session, now=due + timedelta(minutes=1)) == 1
        visits.clock.now = due + timedelta(minutes=1)

        late = await visits.read(visit["id"], company.vp)
        assert late["approval"]["overdue"] is True
        [escalated] = late["approval"]["stages"][0]["steps"]
        assert escalated["escalated_role"] == "deputy_gm" and escalated["role"] == "dept_head"
        listed = await visits.listed(overdue="true")
        assert [v["id"] for v in listed["items"]] == [visit["id"]]
        assert (await visits.listed(overdue="false"))["items"] == []

        inbox = ok(await visits.client.get("/api/v1/approvals", headers=company.vp,
                                           params={"actionable": "true"}))
        assert [i["id"] for i in inbox["items"]] == [visit["approval"]["id"]]
        assert late["allowed_actions"] == ["approve", "reject", "cancel"]
        ok(await visits.decide(visit, company.vp, comment="超时代批"))
        approved = await visits.read(visit["id"])
        assert approved["status"] == "approved"
        assert (await visits.listed(overdue="true"))["items"] == []

    async def test_the_visit_deadline_is_the_policys_24_hours(self, visits, client, company):
        policy = ok(await client.get("/api/v1/approval-policy", headers=company.admin))
        assert policy["policy"]["documents"]["customer_visit"]["sla_hours"] == 24
        # Submitted on a Tuesday at 10:00 in Shanghai: due on Wednesday at 10:00.
        visit = await visits.submitted()
        assert visit["approval"]["due_at"] == "2026-03-11T02:00:00Z"
        # On a Friday: the weekend does not count, due on Monday.
        visits.at("2026-03-13T02:00:00+00:00")
        friday = await visits.submitted(planned_at="2026-03-18T02:00:00Z")
        assert friday["approval"]["due_at"] == "2026-03-16T02:00:00Z"
