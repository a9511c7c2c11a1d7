"""The approval inbox sorted by deadline (`sort=due_at`): the current stage's earliest
deadline among the steps still to decide, kept on the request as its steps move, so the
inbox pages by it with keyset cursors; a request that has ended has none and comes last."""

from datetime import timedelta

import pytest

from tests.deliveries.conftest import clock  # noqa: F401

APPROVALS = "/api/v1/approvals"


async def _pages(client, headers: dict, **params) -> list[dict]:
    """Every item of the list, a page of one at a time."""
    items, cursor = [], None
    while True:
        page = params | {"limit": 1} | ({"cursor": cursor} if cursor else {})
        response = await client.get(APPROVALS, headers=headers, params=page)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        if not (cursor := response.json()["next_cursor"]):
            return items


async def _set_finance_review_sla(client, company, hours: int) -> None:
    policy = (await client.get("/api/v1/approval-policy", headers=company.admin)).json()["policy"]
    [finance] = [step for step in policy["documents"]["contract"]["stages"][0]["steps"]
                 if step["role"] == "finance"]
    finance["sla_hours"] = hours
    saved = await client.put("/api/v1/approval-policy", headers=company.admin, json=policy)
    assert saved.status_code == 200, saved.text


@pytest.fixture
async def three(client, company, submitted, clock):  # noqa: F811
    """Contracts submitted an hour apart: `slow` (review in 48 working hours), `urgent`
    (finance's review in 4, after a policy edit; legal's in 48) and `ended` (recalled)."""
    slow = await submitted("1000.00")
    await _set_finance_review_sla(client, company, 4)
    clock.now += timedelta(hours=1)
    urgent = await submitted("2000.00")
    clock.now += timedelta(hours=1)
    ended = await submitted("3000.00")
    recalled = await client.post(f"/api/v1/contracts/{ended['id']}/recall", headers=company.rep)
    assert recalled.status_code == 200, recalled.text
    return {name: contract["approval"]["id"]
            for name, contract in (("slow", slow), ("urgent", urgent), ("ended", ended))}


class TestInboxByDeadline:
    async def test_the_inbox_pages_most_urgent_first(self, client, company, three):
        inbox = {"actionable": "true"}
        by_age = await _pages(client, company.finance, **inbox)
        assert [i["id"] for i in by_age] == [three["slow"], three["urgent"]]
        by_deadline = await _pages(client, company.finance, **inbox, sort="due_at")
        assert [i["id"] for i in by_deadline] == [three["urgent"], three["slow"]]
        assert by_deadline[0]["due_at"] < by_deadline[1]["due_at"]
        latest_first = await _pages(client, company.finance, **inbox, sort="-due_at")
        assert [i["id"] for i in latest_first] == [three["slow"], three["urgent"]]

    async def test_an_ended_request_has_no_deadline_and_comes_last(self, client, company,
                                                                   three):
        everything = await _pages(client, company.gm, sort="due_at")
        assert [i["id"] for i in everything] == [three["urgent"], three["slow"], three["ended"]]
        assert everything[-1]["due_at"] is None
        descending = await _pages(client, company.gm, sort="-due_at")
        assert [i["id"] for i in descending] == [three["ended"], three["slow"], three["urgent"]]

    async def test_the_deadline_moves_with_the_stage(self, client, company, three, clock):  # noqa: F811
        # The urgent request's review is done a day later: its tier approver's deadline
        # (48 working hours from then) is now the latest.
        clock.now += timedelta(days=1)
        for approver in (company.finance, company.legal):
            response = await client.post(f"{APPROVALS}/{three['urgent']}/approve",
                                         headers=approver, json={})
            assert response.status_code == 200, response.text
        moved = response.json()
        assert moved["current_stage_name"] == "authority"
        everything = await _pages(client, company.gm, sort="due_at")
        assert [i["id"] for i in everything] == [three["slow"], three["urgent"], three["ended"]]
        [urgent] = [i for i in everything if i["id"] == three["urgent"]]
        assert urgent["due_at"] == moved["due_at"] == moved["waiting_on"][0]["due_at"]
        # Approved to the end: no deadline left.
        done = await client.post(f"{APPROVALS}/{three['urgent']}/approve", headers=company.head,
                                 json={})
        assert done.json()["status"] == "approved"
        everything = await _pages(client, company.gm, sort="due_at,-created_at")
        assert [i["id"] for i in everything] == [three["slow"], three["ended"], three["urgent"]]

    async def test_a_step_decided_leaves_the_stage_s_next_deadline(self, client, company,
                                                                    three):
        response = await client.post(f"{APPROVALS}/{three['urgent']}/approve",
                                     headers=company.finance, json={})
        assert response.status_code == 200, response.text
        [legal] = response.json()["waiting_on"]
        everything = await _pages(client, company.gm, sort="due_at")
        assert [i["id"] for i in everything] == [three["slow"], three["urgent"], three["ended"]]
        assert everything[1]["due_at"] == legal["due_at"] == response.json()["due_at"]
