"""A visit from request to report (客户拜访): drafted, submitted to the department head,
approved, and reported on once its time has come; with the rules on each step."""

from sqlalchemy import select

from app.audit.models import AuditEntry
from tests.visits.conftest import PLANNED, VISITS, ok, refused


class TestRequest:
    async def test_a_draft_gets_a_number_and_its_actions(self, visits):
        response = await visits.create()
        visit = ok(response, 201)
        assert response.headers["Location"] == f"{VISITS}/{visit['id']}"
        assert response.headers["ETag"] == '"1"'
        assert visit["number"].startswith("BF-2026-")
        assert visit["status"] == "draft" and visit["owner_id"] == "rep.zhang"
        assert visit["department_id"] == "east" and visit["approval"] is None
        assert visit["planned_at"] == "2026-03-12T06:30:00Z"
        assert visit["allowed_actions"] == ["update", "submit", "cancel"]
        assert await visits.events(visit["id"]) == ["visit.created"]

    async def test_numbers_follow_each_other(self, visits):
        first, second = await visits.draft(), await visits.draft()
        assert int(second["number"][-6:]) == int(first["number"][-6:]) + 1

    async def test_the_time_must_be_to_come(self, visits, session):
        refused(await visits.create(planned_at="2026-03-10T02:00:00Z"), 422,
                "visit.time_in_past")  # exactly now
        ok(await visits.create(planned_at="2026-03-10T02:00:01Z"), 201)
        refused(await visits.create(planned_at="2026-03-12T14:30:00"), 422,
                "validation_error")  # no offset: ambiguous

    async def test_only_ones_own_customer(self, visits, company, headers_for):
        stranger = headers_for("sales_rep", sub="rep.liu", dept="east")
        refused(await visits.create(headers=stranger), 422, "visit.unknown_customer")
        refused(await visits.create(customer_id=999999), 422, "visit.unknown_customer")

    async def test_idempotency_key_replays_the_creation(self, visits, client, company):
        headers = {**company.rep, "Idempotency-Key": "visit-2026-03-12-wang"}
        body = {"customer_id": company.customer_id, "purpose": "回访", "planned_at": PLANNED,
                "place": "客户工厂"}
        first = ok(await client.post(VISITS, headers=headers, json=body), 201)
        again = ok(await client.post(VISITS, headers=headers, json=body), 201)
        assert again["id"] == first["id"]
        assert len(visits_of(ok(await client.get(VISITS, headers=company.rep)))) == 1
        refused(await client.post(VISITS, headers=headers, json={**body, "place": "别处"}),
                422, "idempotency.key_reused")


def visits_of(page: dict) -> list[int]:
    return [item["id"] for item in page["items"]]


class TestEditing:
    async def test_a_draft_is_edited_with_if_match(self, visits, client, company):
        visit = await visits.draft()
        url = f"{VISITS}/{visit['id']}"
        stale = {**company.rep, "If-Match": '"0"'}
        refused(await client.patch(url, headers=stale, json={"place": "杭州"}), 412,
                "precondition_failed")
        edited = ok(await client.patch(url, headers={**company.rep, "If-Match": '"1"'},
                                       json={"place": "杭州", "contact_name": None}))
        assert edited["place"] == "杭州" and edited["contact_name"] is None
        assert edited["version"] == 2
        refused(await client.patch(url, headers=company.rep,
                                   json={"planned_at": "2026-03-01T00:00:00Z"}), 422,
                "visit.time_in_past")
        assert await visits.events(visit["id"]) == ["visit.created", "visit.updated"]

    async def test_in_review_it_is_locked(self, visits, client, company):
        visit = await visits.submitted()
        refused(await client.patch(f"{VISITS}/{visit['id']}", headers=company.rep,
                                   json={"place": "杭州"}), 409, "visit.locked")


class TestApprovalAndReport:
    async def test_the_whole_flow(self, visits, company, session):
        visit = await visits.draft()
        submitted = ok(await visits.act(visit, "submit", if_match=1))
        assert submitted["status"] == "in_review" and submitted["key_customer"] is False
        approval = submitted["approval"]
        assert approval["policy_key"] == "customer_visit"
        assert [[s["role"] for s in stage["steps"]] for stage in approval["stages"]] == [
            ["dept_head"]]
        [waiting] = approval["waiting_on"]
        assert waiting["role"] == "dept_head" and approval["due_at"] == waiting["due_at"]
        assert submitted["allowed_actions"] == ["recall", "cancel"]
        head_view = await visits.read(visit["id"], visits.company.head)
        assert head_view["allowed_actions"] == ["approve", "reject", "cancel"]

        ok(await visits.decide(submitted, company.head, comment="同意拜访"))
        approved = await visits.read(visit["id"])
        assert approved["status"] == "approved" and approved["approved_at"] is not None
        assert approved["approval"]["status"] == "approved"
        assert approved["allowed_actions"] == ["cancel"]  # not yet time to report

        report = {"outcome": "客户确认二期需求 120 台", "next_steps": "下周报价"}
        refused(await visits.act(approved, "report", report), 409, "visit.not_yet_held")
        visits.at(PLANNED)
        assert (await visits.read(visit["id"]))["allowed_actions"] == ["cancel", "report"]
        reported = ok(await visits.act(approved, "report", report, if_match=3))
        assert reported["status"] == "reported" and reported["outcome"] == report["outcome"]
        assert reported["reported_at"] == "2026-03-12T06:30:00Z"
        assert reported["allowed_actions"] == []
        refused(await visits.act(reported, "report", report), 409, "state.invalid_transition")
        refused(await visits.act(reported, "cancel", {"reason": "x"}), 409,
                "state.invalid_transition")

        assert await visits.events(visit["id"]) == [
            "visit.created", "visit.submitted", "visit.approved", "visit.reported"]
        audited = (await session.execute(select(AuditEntry.action).where(
            AuditEntry.entity_type == "visit", AuditEntry.entity_id == str(visit["id"]))
            .order_by(AuditEntry.id))).scalars().all()
        assert len(audited) == 4

    async def test_the_report_is_due_from_the_planned_time_on(self, visits):
        approved = await visits.approved()
        visits.at("2026-03-12T06:29:59+00:00")  # a second before
        refused(await visits.act(approved, "report", {"outcome": "见面"}), 409,
                "visit.not_yet_held")
        assert "report" not in (await visits.read(approved["id"]))["allowed_actions"]
        visits.later(seconds=1)
        assert ok(await visits.act(approved, "report", {"outcome": "见面"}))["status"] == \
            "reported"

    async def test_no_report_before_approval(self, visits):
        visit = await visits.submitted()
        visits.at("2026-03-13T00:00:00Z")
        problem = refused(await visits.act(visit, "report", {"outcome": "见面"}), 409,
                          "state.invalid_transition")
        assert problem["current_status"] == "in_review"
        assert problem["allowed_next"] == ["approved", "cancelled", "draft", "rejected"]

    async def test_a_visit_past_its_time_is_not_submitted(self, visits):
        visit = await visits.draft()
        visits.at("2026-03-12T06:30:00Z")
        refused(await visits.act(visit, "submit"), 422, "visit.time_in_past")

    async def test_recall_returns_it_to_draft(self, visits, company):
        visit = await visits.submitted()
        refused(await visits.act(visit, "recall", headers=company.head), 403,
                "approval.not_submitter")
        recalled = ok(await visits.act(visit, "recall"))
        assert recalled["status"] == "draft" and recalled["approval"]["status"] == "recalled"
        assert "visit.recalled" in await visits.events(visit["id"])

    async def test_cancel_in_review_withdraws_the_request(self, visits, company):
        in_review = await visits.submitted()
        refused(await visits.act(in_review, "cancel", {"reason": "x"}, if_match=1), 412,
                "precondition_failed")
        cancelled = ok(await visits.act(in_review, "cancel", {"reason": "客户出差"},
                                        headers=company.head))
        assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "客户出差"
        assert cancelled["rejection_reason"] is None and cancelled["cancelled_at"]
        assert cancelled["approval"]["status"] == "recalled"
        assert cancelled["approval"]["outcome_reason"] == "客户出差"
        refused(await visits.decide(in_review, company.head), 409, "approval.not_pending")
        assert (await visits.events(in_review["id"]))[-1] == "visit.cancelled"
        inbox = ok(await visits.client.get("/api/v1/approvals", headers=company.head,
                                           params={"actionable": "true"}))
        assert inbox["items"] == []

    async def test_cancel(self, visits):
        approved = await visits.approved()
        refused(await visits.act(approved, "cancel", {"reason": ""}), 422, "validation_error")
        cancelled = ok(await visits.act(approved, "cancel", {"reason": "客户出差"}))
        assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "客户出差"
        assert cancelled["allowed_actions"] == []
        assert (await visits.events(approved["id"]))[-1] == "visit.cancelled"
