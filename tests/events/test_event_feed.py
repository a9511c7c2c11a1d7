"""SPEC §6: each change writes an event in its transaction; ERPs read them as a feed."""

import pytest

from tests.factories.departments import create_department


@pytest.fixture
async def rep(session, headers_for):
    await create_department(session, id="east")
    return headers_for("sales_rep", sub="rep.events", dept="east")


@pytest.fixture
def erp(headers_for):
    return headers_for("integration", sub="erp.kingdee")


async def test_changes_appear_in_order_with_subject(client, rep, erp):
    created = (await client.post("/api/v1/customers", json={"name": "Feed Co"}, headers=rep)).json()
    await client.patch(f"/api/v1/customers/{created['id']}", json={"address": "Hangzhou"},
                       headers=rep)
    feed = (await client.get("/api/v1/events", headers=erp,
                             params={"types": "customer.created,customer.updated"})).json()
    mine = [e for e in feed["items"] if e["subject"] == f"customer:{created['id']}"]
    assert [e["type"] for e in mine] == ["customer.created", "customer.updated"]
    assert mine[0]["data"]["name"] == "Feed Co" and mine[0]["actor_id"] == "rep.events"
    assert mine[0]["event_id"].startswith("evt_") and mine[0]["position"] < mine[1]["position"]
    assert [e["sequence"] for e in mine] == [1, 2]


async def test_resuming_after_a_cursor(client, rep, erp):
    for i in range(3):
        await client.post("/api/v1/customers", json={"name": f"C{i}"}, headers=rep)
    first = (await client.get("/api/v1/events", headers=erp,
                              params={"types": "customer.created", "limit": 2})).json()
    assert len(first["items"]) == 2
    rest = (await client.get("/api/v1/events", headers=erp,
                             params={"types": "customer.created", "after": first["next_cursor"]})).json()
    assert [e["data"]["name"] for e in first["items"] + rest["items"]] == ["C0", "C1", "C2"]
    caught_up = (await client.get("/api/v1/events", headers=erp,
                                  params={"types": "customer.created",
                                          "after": rest["next_cursor"]})).json()
    assert caught_up == {"items": [], "next_cursor": None}


async def test_type_filter(client, rep, erp, admin):
    await client.post("/api/v1/customers", json={"name": "Only customers"}, headers=rep)
    feed = (await client.get("/api/v1/events", headers=erp,
                             params={"types": "department.created"})).json()
    assert feed["items"] and {e["type"] for e in feed["items"]} == {"department.created"}


@pytest.mark.parametrize("role", ["sales_rep", "dept_head", "gm", "finance"])
async def test_feed_is_for_integrations(client, headers_for, role):
    response = await client.get("/api/v1/events", headers=headers_for(role, dept="east"))
    assert response.status_code == 403


async def test_a_requests_events_are_numbered_in_the_order_they_happened(client, company,
                                                                         submitted):
    """The last approval causes completion: its step event comes first in the subject."""
    contract = await submitted("1000.00")
    request_id = contract["approval"]["id"]
    for approver in (company.finance, company.legal, company.head):
        await client.post(f"/api/v1/approvals/{request_id}/approve", headers=approver, json={})
    feed = (await client.get("/api/v1/events", headers=company.admin, params={
        "types": "approval.submitted,approval.step_pending,approval.step_approved,"
                 "approval.completed", "limit": 200})).json()["items"]
    mine = [e for e in feed if e["subject"] == f"approval_request:{request_id}"]
    assert [e["sequence"] for e in mine] == list(range(1, len(mine) + 1))
    assert [e["type"] for e in mine] == [
        "approval.submitted", "approval.step_pending", "approval.step_pending",
        "approval.step_approved", "approval.step_approved", "approval.step_pending",
        "approval.step_approved", "approval.completed"]
