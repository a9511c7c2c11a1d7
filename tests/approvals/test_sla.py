"""SLA: an overdue step is announced and escalated one level up, keeping its assignee."""

from datetime import UTC, datetime, timedelta

from app.approvals import sla


async def test_overdue_step_escalates_with_a_moved_clock(client, company, submitted, session):
    contract = await submitted("1000.00")
    request_id = contract["approval"]["id"]
    for approver in (company.finance, company.legal):
        await client.post(f"/api/v1/approvals/{request_id}/approve", headers=approver, json={})
    step = (await client.get(f"/api/v1/approvals/{request_id}",
                             headers=company.head)).json()["stages"][1]["steps"][0]
    due = datetime.fromisoformat(step["due_at"])

    assert await sla.sweep_overdue(session, now=due - timedelta(minutes=1)) == 0
    assert await sla.sweep_overdue(session, now=due + timedelta(minutes=1)) == 1
    assert await sla.sweep_overdue(session, now=due + timedelta(hours=5)) == 0  # once only

    approval = (await client.get(f"/api/v1/approvals/{request_id}", headers=company.vp)).json()
    escalated = approval["stages"][1]["steps"][0]
    assert escalated["overdue"] is True and escalated["escalated_role"] == "deputy_gm"
    assert escalated["role"] == "dept_head"
    feed = (await client.get("/api/v1/events", headers=company.admin,
                             params={"types": "approval.step_overdue"})).json()
    assert feed["items"][0]["data"]["escalated_to"] == "deputy_gm"

    # The deputy GM overseeing east now sees it; the head still may decide it too.
    vp_inbox = (await client.get("/api/v1/approvals", headers=company.vp,
                                 params={"actionable": "true"})).json()
    assert [i["id"] for i in vp_inbox["items"]] == [request_id]
    head_inbox = (await client.get("/api/v1/approvals", headers=company.head,
                                   params={"actionable": "true"})).json()
    assert [i["id"] for i in head_inbox["items"]] == [request_id]
    done = await client.post(f"/api/v1/approvals/{request_id}/approve", headers=company.vp,
                             json={"comment": "超时代批"})
    assert done.status_code == 200 and done.json()["status"] == "approved"


async def test_gm_steps_are_announced_but_have_no_one_above(client, company, submitted, session):
    contract = await submitted("900000.00")
    request_id = contract["approval"]["id"]
    for approver in (company.finance, company.legal):
        await client.post(f"/api/v1/approvals/{request_id}/approve", headers=approver, json={})
    far_future = datetime(2100, 1, 1, tzinfo=UTC)
    assert await sla.sweep_overdue(session, now=far_future) == 1
    step = (await client.get(f"/api/v1/approvals/{request_id}",
                             headers=company.gm)).json()["stages"][1]["steps"][0]
    assert step["overdue"] is True and step["escalated_role"] is None
