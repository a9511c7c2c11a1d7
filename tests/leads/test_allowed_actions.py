"""A lead's `allowed_actions` tell the truth (SPEC §3): in every reachable state, for the
owner, the head and roles that only read, the list is what the state allows, each action
listed succeeds and each action not listed is refused and changes nothing. Each action is tried inside a savepoint rolled
back afterwards, so every one starts from the same state."""


import pytest

LEADS = "/api/v1/leads"
# Every action a lead read may list, with the request that performs it.
ACTIONS: dict[str, tuple[str, str, dict | None]] = {
    "update": ("PATCH", "", {"needs": "三季度扩产, 需 40 台泵"}),
    "contact": ("POST", "/contact", None),
    "qualify": ("POST", "/qualify", None),
    "disqualify": ("POST", "/disqualify", {"reason": "无预算"}),
    "convert": ("POST", "/convert", {"opportunity": {
        "grade": "low", "expected_amount": "1000.00", "expected_close_date": "2030-12-31"}}),
    "assign": ("POST", "/assign", {"owner_id": "rep.liu"}),
}
# Each state, as the actions (by the head) that reach it from a new lead.
STATES: dict[str, tuple[str, ...]] = {
    "new": (),
    "contacted": ("contact",),
    "qualified": ("contact", "qualify"),
    "converted": ("contact", "qualify", "convert"),
    "disqualified_when_new": ("disqualify",),
    "disqualified_when_qualified": ("contact", "qualify", "disqualify"),
}

# What the owner may do in each state (SPEC §3 order: never qualified before contacted); the
# head may also assign an open lead; roles that only read may do nothing.
OWNER_MAY: dict[str, set[str]] = {
    "new": {"update", "contact", "disqualify"},
    "contacted": {"update", "qualify", "disqualify"},
    "qualified": {"update", "convert", "disqualify"},
    "converted": set(),
    "disqualified_when_new": set(),
    "disqualified_when_qualified": set(),
}


def expected(state: str, viewer: str) -> set[str]:
    if viewer in ("finance", "erp"):
        return set()
    return OWNER_MAY[state] | ({"assign"} if viewer == "head" and OWNER_MAY[state] else set())


async def _do(client, headers: dict, lead_id: int, action: str):
    method, suffix, body = ACTIONS[action]
    return await client.request(method, f"{LEADS}/{lead_id}{suffix}", headers=headers,
                                **({"json": body} if body is not None else {}))


async def _check(client, rolled_back, headers: dict, lead_id: int, reader: dict,
                 expected: set[str]) -> None:
    lead = (await client.get(f"{LEADS}/{lead_id}", headers=reader)).json()
    listed = set(lead["allowed_actions"])
    assert listed == expected, lead["status"]
    for action in ACTIONS:
        async with rolled_back():
            response = await _do(client, headers, lead_id, action)
            if action in listed:
                assert response.is_success, (lead["status"], action, response.text)
            else:
                assert response.status_code in (403, 409), (lead["status"], action,
                                                             response.text)
                after = (await client.get(f"{LEADS}/{lead_id}", headers=reader)).json()
                assert after["version"] == lead["version"]


@pytest.fixture
def viewers(company, headers_for):
    return {"owner": company.rep, "head": company.head,
            "finance": company.finance, "erp": headers_for("integration", sub="erp.web")}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("viewer", ["owner", "head", "finance", "erp"])
async def test_actions_listed_succeed_and_others_are_refused(client, company, rolled_back,
                                                             viewers, state, viewer):
    created = await client.post(LEADS, headers=company.rep, json={
        "source": "exhibition", "company": "宁波港城机械制造有限公司", "contact_name": "王经理",
        "phone": "138 1234 5678"})
    lead_id = created.json()["id"]
    for action in STATES[state]:
        assert (await _do(client, company.head, lead_id, action)).is_success, action
    await _check(client, rolled_back, viewers[viewer], lead_id, viewers[viewer],
                 expected(state, viewer))


@pytest.mark.parametrize(("state", "head_may"), [
    ("new", {"update", "contact", "disqualify", "assign"}),
    ("contacted", {"update", "qualify", "disqualify", "assign"}),
    ("qualified", {"update", "disqualify", "assign"}),
])
async def test_a_pooled_lead_is_assigned_before_it_converts(client, company, rolled_back,
                                                           viewers, state, head_may):
    created = await client.post(LEADS, headers=viewers["erp"], json={
        "source": "web", "company": "杭州恒远化工有限公司", "email": "li@hengyuan.cn",
        "department_id": "east"})
    lead_id = created.json()["id"]
    for action in STATES[state]:
        assert (await _do(client, company.head, lead_id, action)).is_success, action
    await _check(client, rolled_back, company.head, lead_id, company.head, head_may)


async def test_contacted_comes_before_qualified(client, company):
    created = (await client.post(LEADS, headers=company.rep, json={
        "source": "phone", "company": "绍兴越城纺织有限公司", "phone": "0575-8512 3456"})).json()
    assert "qualify" not in created["allowed_actions"]
    response = await client.post(f"{LEADS}/{created['id']}/qualify", headers=company.rep)
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["allowed_next"]) == (
        "state.invalid_transition", ["contacted", "disqualified"])
