"""Both branches end to end: not the company's fault (accepted, or negotiated to a
settlement) and the company's fault (CAPA approved by two experts, implemented, verified,
fed back), each closed with a satisfaction score; every step audited and evented."""

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.events.models import Event
from tests.complaints.conftest import ok, refused
from tests.webhooks.test_catalog import assert_events_match_catalog


async def _events(session, complaint_id: int) -> list[str]:
    return [e.type for e in (await session.execute(
        select(Event).where(Event.subject == f"complaint:{complaint_id}")
        .order_by(Event.id))).scalars()]


class TestNotTheCompanysFault:
    async def test_explained_and_accepted(self, helpdesk, session):
        taken = await helpdesk.taken()
        assert taken["number"].startswith("TS-2026-")
        assert (taken["status"], taken["allowed_actions"]) == ("received", ["assign"])
        assert taken["ack_due_at"] == "2026-03-11T02:00:00Z"
        complaint = await helpdesk.assigned(taken)
        assert (complaint["status"], complaint["responsible_department_id"]) == (
            "investigating", "east")
        assert complaint["acknowledged_at"] == "2026-03-10T02:00:00Z"
        head_view = await helpdesk.read(complaint["id"], helpdesk.company.head)
        assert "determination" in head_view["allowed_actions"]
        determined = await helpdesk.determined(complaint, fault=False)
        assert (determined["status"], determined["company_fault"]) == ("under_review", False)
        expert_view = await helpdesk.read(complaint["id"], helpdesk.experts[0])
        assert expert_view["allowed_actions"] == ["review"]
        explained = await helpdesk.reviewed(complaint, explanation="按说明书安装")
        assert (explained["status"], explained["explanation"]) == ("explained", "按说明书安装")
        assert explained["allowed_actions"] == []  # quality has nothing more to do here
        cs_view = await helpdesk.read(complaint["id"])
        assert cs_view["allowed_actions"] == ["negotiation", "close"]
        closed = ok(await helpdesk.act(complaint, "close", {"satisfaction": 4}))
        assert (closed["status"], closed["satisfaction"]) == ("closed", 4)
        assert closed["closed_at"] == "2026-03-10T02:00:00Z"
        assert closed["allowed_actions"] == []
        assert await _events(session, complaint["id"]) == [
            "complaint.received", "complaint.assigned", "complaint.determined",
            "complaint.reviewed", "complaint.closed"]
        audited = (await session.execute(select(AuditEntry.action).where(
            AuditEntry.entity_type == "complaint",
            AuditEntry.entity_id == str(complaint["id"])))).scalars().all()
        assert len(audited) == 5
        await assert_events_match_catalog(session, since=0)

    async def test_negotiated_to_a_settlement(self, helpdesk, session):
        complaint = await helpdesk.explained()
        negotiating = ok(await helpdesk.act(complaint, "negotiation",
                                            {"reason": "客户不接受安装不当的结论"}))
        assert negotiating["status"] == "negotiating"
        assert "remedies" in negotiating["allowed_actions"]
        refused(await helpdesk.act(complaint, "close", {"satisfaction": 3}), 422,
                "complaint.settlement_required")
        repaired = ok(await helpdesk.act(complaint, "remedies", {
            "kind": "repair", "description": "上门免费维修"}), 201)
        assert [r["kind"] for r in repaired["remedies"]] == ["repair"]
        closed = ok(await helpdesk.act(complaint, "close", {
            "satisfaction": 3, "settlement": "免费维修并赠送密封圈"}))
        assert (closed["status"], closed["settlement"]) == ("closed", "免费维修并赠送密封圈")
        assert await _events(session, complaint["id"]) == [
            "complaint.received", "complaint.assigned", "complaint.determined",
            "complaint.reviewed", "complaint.negotiating", "complaint.remedy_recorded",
            "complaint.closed"]
        await assert_events_match_catalog(session, since=0)

    async def test_a_report_sent_back_is_investigated_again(self, helpdesk):
        complaint = await helpdesk.assigned(await helpdesk.taken())
        await helpdesk.determined(complaint, fault=False)
        refused(await helpdesk.act(complaint, "review", {"accepted": False},
                                   headers=helpdesk.experts[0]), 422, "validation_error")
        back = ok(await helpdesk.act(complaint, "review", {
            "accepted": False, "comment": "请补充现场照片"}, headers=helpdesk.experts[0]))
        assert (back["status"], back["review_comment"]) == ("investigating", "请补充现场照片")
        again = await helpdesk.determined(complaint, fault=True)
        assert again["status"] == "under_review"
        refused(await helpdesk.act(complaint, "review", {
            "accepted": True, "explanation": "wrong branch"}, headers=helpdesk.experts[0]),
            422, "complaint.review_incomplete")


class TestTheCompanysFault:
    async def test_capa_implemented_verified_fed_back_closed(self, helpdesk, session):
        complaint = await helpdesk.nonconforming()
        assert complaint["status"] == "corrective_action"
        assert complaint["nonconformity_report"] == "不合格品报告 NCR-001"
        submitted = await helpdesk.capa(complaint)
        assert submitted["status"] == "capa_review"
        [stage] = submitted["approval"]["stages"]
        [step] = stage["steps"]
        assert (step["role"], step["quorum"]) == ("quality", 2)
        implementing = await helpdesk.approve(submitted, *helpdesk.experts[:2])
        assert implementing["status"] == "implementing"
        assert implementing["approval"]["status"] == "approved"
        tracked = ok(await helpdesk.act(complaint, "tracking", {"note": "已更换供应商"},
                                        headers=helpdesk.company.head))
        assert tracked["status"] == "implementing"
        done = ok(await helpdesk.act(complaint, "tracking", {
            "note": "来料全检已执行", "completed": True}, headers=helpdesk.company.head))
        assert done["status"] == "verifying"
        assert [(t["note"], t["completed"]) for t in done["tracking"]] == [
            ("已更换供应商", False), ("来料全检已执行", True)]
        not_yet = ok(await helpdesk.act(complaint, "verification", {
            "effective": False, "report": "仍有漏水"}, headers=helpdesk.experts[2]))
        assert not_yet["status"] == "implementing"
        ok(await helpdesk.act(complaint, "tracking", {"note": "追加压力测试",
                                                      "completed": True},
                              headers=helpdesk.company.head))
        verified = ok(await helpdesk.act(complaint, "verification", {
            "effective": True, "report": "连续三批无漏水"}, headers=helpdesk.experts[2]))
        assert (verified["status"], verified["verified_by"]) == ("verified", "qa.feng")
        fed_back = ok(await helpdesk.act(complaint, "feedback", {"feedback": "已整改并回访"}))
        assert fed_back["status"] == "feedback_given"
        closed = ok(await helpdesk.act(complaint, "close", {"satisfaction": 5}))
        assert (closed["status"], closed["satisfaction"]) == ("closed", 5)
        events = await _events(session, complaint["id"])
        assert events == [
            "complaint.received", "complaint.assigned", "complaint.determined",
            "complaint.reviewed", "complaint.capa_submitted", "complaint.capa_approved",
            "complaint.tracking_recorded", "complaint.tracking_recorded",
            "complaint.verified", "complaint.tracking_recorded", "complaint.verified",
            "complaint.feedback_given", "complaint.closed"]
        await assert_events_match_catalog(session, since=0)

    async def test_a_rejected_capa_is_revised_and_submitted_again(self, helpdesk, session):
        submitted = await helpdesk.capa(await helpdesk.nonconforming())
        request_id = submitted["approval"]["id"]
        ok(await helpdesk.client.post(f"/api/v1/approvals/{request_id}/reject",
                                      headers=helpdesk.experts[0],
                                      json={"comment": "预防措施不具体"}))
        rejected = await helpdesk.read(submitted["id"])
        assert (rejected["status"], rejected["rejection_reason"]) == (
            "corrective_action", "预防措施不具体")
        head_view = await helpdesk.read(submitted["id"], helpdesk.company.head)
        assert head_view["allowed_actions"] == ["capa"]
        again = await helpdesk.capa(rejected)
        assert again["status"] == "capa_review" and again["rejection_reason"] is None
        assert again["approval"]["id"] != request_id
        approved = await helpdesk.approve(again, helpdesk.experts[1], helpdesk.experts[2])
        assert approved["status"] == "implementing"
        assert (await _events(session, submitted["id"]))[-4:] == [
            "complaint.capa_submitted", "complaint.capa_rejected",
            "complaint.capa_submitted", "complaint.capa_approved"]
        await assert_events_match_catalog(session, since=0)

    async def test_the_submitter_recalls_the_plan(self, helpdesk):
        submitted = await helpdesk.capa(await helpdesk.nonconforming())
        refused(await helpdesk.act(submitted, "capa/recall", headers=helpdesk.cs), 403,
                "approval.not_submitter")
        recalled = ok(await helpdesk.act(submitted, "capa/recall",
                                         headers=helpdesk.company.head))
        assert recalled["status"] == "corrective_action"


class TestQuorum:
    async def test_one_expert_is_not_enough_and_counts_once(self, helpdesk):
        submitted = await helpdesk.capa(await helpdesk.nonconforming())
        url = f"/api/v1/approvals/{submitted['approval']['id']}/approve"
        first = ok(await helpdesk.client.post(url, headers=helpdesk.experts[0], json={}))
        step = first["stages"][0]["steps"][0]
        assert (step["approvals"], step["status"]) == (1, "active")
        assert (await helpdesk.read(submitted["id"]))["status"] == "capa_review"
        refused(await helpdesk.client.post(url, headers=helpdesk.experts[0], json={}), 409,
                "approval.already_decided")
        ok(await helpdesk.client.post(url, headers=helpdesk.experts[1], json={}))
        assert (await helpdesk.read(submitted["id"]))["status"] == "implementing"
        # The step is decided: a third expert is too late.
        late = await helpdesk.client.post(url, headers=helpdesk.experts[2], json={})
        assert late.status_code == 409, late.text

    async def test_the_submitter_may_not_approve(self, helpdesk):
        complaint = await helpdesk.nonconforming()
        # Customer service drafts it here; an expert may not approve their own submission.
        submitted = await helpdesk.capa(complaint, headers=helpdesk.cs)
        url = f"/api/v1/approvals/{submitted['approval']['id']}/approve"
        refused(await helpdesk.client.post(url, headers=helpdesk.cs, json={}), 403,
                "approval.self_approval")
