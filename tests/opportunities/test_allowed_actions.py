"""An opportunity's `allowed_actions` tell the truth (SPEC §3): in every reachable stage and
proposal state, for the owner, the head who reviews proposals and a role that only reads,
the list is what the state allows, each action listed succeeds and each action not listed
is refused and changes nothing.
Each action is tried inside a savepoint rolled back afterwards."""


import pytest

OPPORTUNITIES = "/api/v1/opportunities"
ORDER = ("qualification", "needs_analysis", "proposal", "negotiation")
BODIES = {
    "update": {"title": "港城二期水泵项目 (扩容)"},
    "submit_proposal": {"summary": "两台 MP-250 多级泵, 含安装"},
    "win": {},
    "lose": {"reason": "价格"},
    "approve": {},
    "reject": {"comment": "价格策略不清"},
}
ACTIONS = ("update", "move_stage", "submit_proposal", "recall_proposal", "win", "lose",
           "approve", "reject")
# Each state as the steps that reach it from a new high-grade opportunity: a stage to move
# to, or a proposal action (`submit`, `recall` by the owner; `approve`, `reject` by the head).
STATES: dict[str, tuple[str, ...]] = {
    "qualification": (),
    "needs_analysis": ("needs_analysis",),
    "proposal": ("needs_analysis", "proposal"),
    "proposal_pending": ("needs_analysis", "proposal", "submit"),
    "proposal_recalled": ("needs_analysis", "proposal", "submit", "recall"),
    "proposal_rejected": ("needs_analysis", "proposal", "submit", "reject"),
    "proposal_approved": ("needs_analysis", "proposal", "submit", "approve"),
    "negotiation": ("needs_analysis", "proposal", "submit", "approve", "negotiation"),
    "back_to_proposal": ("needs_analysis", "proposal", "submit", "approve", "negotiation",
                         "proposal"),
    # The needs reopened after the approval: the approval is set aside, a new proposal is due.
    "proposal_after_needs_reopened": ("needs_analysis", "proposal", "submit", "approve",
                                      "needs_analysis", "proposal"),
    "won": ("needs_analysis", "proposal", "submit", "approve", "negotiation", "win"),
    "lost": ("lose",),
}

WORK = {"update", "move_stage", "lose"}
# What the owner and the head may do in each state; finance only reads. An approved proposal
# is not submitted again until the needs reopen (back before the proposal stage).
MAY: dict[str, dict[str, set[str]]] = {
    "qualification": {"owner": WORK, "head": WORK},
    "needs_analysis": {"owner": WORK, "head": WORK},
    "proposal": {"owner": WORK | {"submit_proposal"}, "head": WORK | {"submit_proposal"}},
    "proposal_pending": {"owner": {"recall_proposal"}, "head": {"approve", "reject"}},
    "proposal_recalled": {"owner": WORK | {"submit_proposal"},
                          "head": WORK | {"submit_proposal"}},
    "proposal_rejected": {"owner": WORK | {"submit_proposal"},
                          "head": WORK | {"submit_proposal"}},
    "proposal_approved": {"owner": WORK, "head": WORK},
    "negotiation": {"owner": WORK | {"win"}, "head": WORK | {"win"}},
    "back_to_proposal": {"owner": WORK, "head": WORK},
    "proposal_after_needs_reopened": {"owner": WORK | {"submit_proposal"},
                                      "head": WORK | {"submit_proposal"}},
    "won": {"owner": set(), "head": set()},
    "lost": {"owner": set(), "head": set()},
}


async def _do(client, headers: dict, opportunity: dict, action: str):
    url = f"{OPPORTUNITIES}/{opportunity['id']}"
    if action == "move_stage":
        # Back one stage when there is one (always allowed while open), else forward.
        index = ORDER.index(opportunity["stage"]) if opportunity["stage"] in ORDER else 1
        stage = ORDER[index - 1] if index > 0 else ORDER[1]
        return await client.post(f"{url}/stage", headers=headers, json={"stage": stage})
    if action in ("approve", "reject"):
        url = f"/api/v1/approvals/{opportunity['approval']['id']}"
    path = {"submit_proposal": "/proposal/submit", "recall_proposal": "/proposal/recall",
            "update": ""}.get(action, f"/{action}")
    method = "PATCH" if action == "update" else "POST"
    body = BODIES.get(action)
    return await client.request(method, url + path, headers=headers,
                                **({"json": body} if body is not None else {}))


async def _reach(client, company, opportunity: dict, steps: tuple[str, ...]) -> None:
    url = f"{OPPORTUNITIES}/{opportunity['id']}"
    for step in steps:
        current = (await client.get(url, headers=company.rep)).json()
        if step in ORDER:
            response = await client.post(f"{url}/stage", headers=company.rep,
                                         json={"stage": step})
        elif step in ("submit", "recall"):
            response = await _do(client, company.rep, current, f"{step}_proposal")
        elif step in ("approve", "reject"):
            response = await _do(client, company.head, current, step)
        else:
            response = await _do(client, company.rep, current, step)
        assert response.is_success, (step, response.text)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("viewer", ["owner", "head", "finance"])
async def test_actions_listed_succeed_and_others_are_refused(client, company, rolled_back,
                                                             state, viewer):
    headers = {"owner": company.rep, "head": company.head, "finance": company.finance}[viewer]
    created = await client.post(OPPORTUNITIES, headers=company.rep, json={
        "customer_id": company.customer_id, "title": "港城二期水泵项目", "grade": "high",
        "expected_amount": "86000.00", "expected_close_date": "2030-09-30"})
    assert created.status_code == 201, created.text
    await _reach(client, company, created.json(), STATES[state])
    url = f"{OPPORTUNITIES}/{created.json()['id']}"
    opportunity = (await client.get(url, headers=headers)).json()
    listed = set(opportunity["allowed_actions"])
    assert listed == MAY[state].get(viewer, set())
    for action in ACTIONS:
        if action in ("approve", "reject") and opportunity["approval"] is None:
            assert action not in listed  # nothing to decide
            continue
        async with rolled_back():
            response = await _do(client, headers, opportunity, action)
            if action in listed:
                assert response.is_success, (state, action, response.text)
            else:
                assert response.status_code in (403, 409), (state, action, response.text)
                after = (await client.get(url, headers=headers)).json()
                assert (after["version"], after["stage"], after["proposal_status"]) == (
                    opportunity["version"], opportunity["stage"],
                    opportunity["proposal_status"])


async def test_an_approved_proposal_is_not_submitted_again(client, company):
    created = (await client.post(OPPORTUNITIES, headers=company.rep, json={
        "customer_id": company.customer_id, "title": "港城二期水泵项目", "grade": "medium",
        "expected_amount": "86000.00", "expected_close_date": "2030-09-30"})).json()
    await _reach(client, company, created, ("needs_analysis", "proposal", "submit", "approve"))
    url = f"{OPPORTUNITIES}/{created['id']}"
    approved = (await client.get(url, headers=company.rep)).json()
    assert "submit_proposal" not in approved["allowed_actions"]
    again = await client.post(f"{url}/proposal/submit", headers=company.rep,
                              json={"summary": "同一方案"})
    assert again.status_code == 409 and again.json()["code"] == "opportunity.proposal_approved"
    unchanged = (await client.get(url, headers=company.rep)).json()
    assert (unchanged["version"], unchanged["approval"]["id"]) == (
        approved["version"], approved["approval"]["id"])
