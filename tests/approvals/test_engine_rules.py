"""Policy as data: editing it, quorum, cumulative tiers, delegation, working-time deadlines,
(the concurrent-decision races are in test_races.py)."""

from datetime import UTC, datetime

import pytest

from tests.company import roles_by_stage


async def _policy(client, headers) -> tuple[dict, str]:
    response = await client.get("/api/v1/approval-policy", headers=headers)
    return response.json()["policy"], response.headers["etag"]


async def _put_policy(client, headers, policy, etag=None):
    extra = {"If-Match": etag} if etag else {}
    return await client.put("/api/v1/approval-policy", headers={**headers, **extra}, json=policy)


class TestPolicyEditing:
    async def test_a_policy_saved_before_a_document_type_existed_gets_its_default(
            self, client, company, session):
        """A policy saved by an older release has no entry for quotes: after the upgrade
        quotes get the default chain instead of `approval.no_policy`."""
        from app.approvals.models import ApprovalPolicyVersion

        policy, _ = await _policy(client, company.admin)
        old = {**policy, "documents": {k: v for k, v in policy["documents"].items()
                                       if k != "quote_discount"}}
        session.add(ApprovalPolicyVersion(version=2, document=old, created_by="release-1"))
        await session.commit()
        upgraded, etag = await _policy(client, company.rep)
        assert etag == '"2"'
        assert upgraded["documents"]["quote_discount"] == policy["documents"]["quote_discount"]
        preview = await client.post("/api/v1/approvals/preview", headers=company.rep, json={
            "document_type": "quote", "policy_key": "quote_discount", "amount": "1000.00",
            "department_id": "east", "flags": []})
        assert preview.status_code == 200, preview.text

    async def test_only_admin_edits_and_versions_increase(self, client, company):
        policy, etag = await _policy(client, company.rep)
        assert etag == '"1"' and policy["tier_mode"] == "single"
        assert (await _put_policy(client, company.gm, policy)).status_code == 403
        saved = await _put_policy(client, company.admin, policy, etag)
        assert saved.status_code == 200 and saved.json()["version"] == 2
        stale = await _put_policy(client, company.admin, policy, etag)
        assert stale.status_code == 412

    @pytest.mark.parametrize("mutate", [
        lambda p: p["tiers"].reverse(),
        lambda p: p["tiers"][0].update(up_to=None),
        lambda p: p["documents"]["contract"]["stages"][0].update(steps=[]),
        lambda p: p["documents"]["contract"]["stages"][0]["steps"][0].update(role="pope"),
        # Roles that may not decide approvals: their steps could never be decided.
        lambda p: p["documents"]["contract"]["stages"][0]["steps"][0].update(role="auditor"),
        lambda p: p["tiers"][0].update(role="integration"),
        lambda p: p["discount_bands"][1].update(role="auditor"),
        lambda p: p.update(surprise=True),
    ])
    async def test_invalid_policies_are_refused(self, client, company, mutate):
        policy, _ = await _policy(client, company.admin)
        mutate(policy)
        response = await _put_policy(client, company.admin, policy)
        assert response.status_code == 422
        assert (await _policy(client, company.admin))[1] == '"1"'

    async def test_a_policy_saved_before_a_rule_existed_still_loads(self, session):
        """Saving refuses a step for a role that cannot decide; a policy stored before that
        rule must still load, or every submission would fail."""
        from app.approvals.models import ApprovalPolicyVersion
        from app.approvals.policy import DEFAULT_POLICY
        from app.approvals.requests import current_policy

        stored = DEFAULT_POLICY.model_dump(mode="json")
        stored["tiers"][0]["role"] = "auditor"
        session.add(ApprovalPolicyVersion(version=2, document=stored, created_by="old.admin"))
        await session.flush()
        version, policy = await current_policy(session)
        assert version == 2 and policy.tiers[0].role.value == "auditor"

    async def test_a_change_does_not_touch_requests_in_flight(self, client, company, submitted):
        before = await submitted("1000.00")
        policy, etag = await _policy(client, company.admin)
        policy["tiers"][0]["role"] = "gm"
        await _put_policy(client, company.admin, policy, etag)
        after = await submitted("1000.00")
        assert roles_by_stage(after)[1] == ["gm"] and after["approval"]["policy_version"] == 2
        request = (await client.get(f"/api/v1/approvals/{before['approval']['id']}",
                                    headers=company.rep)).json()
        assert [s["role"] for s in request["stages"][1]["steps"]] == ["dept_head"]
        assert request["policy_version"] == 1

    async def test_cumulative_tiers(self, client, company, submitted):
        policy, etag = await _policy(client, company.admin)
        policy["tier_mode"] = "cumulative"
        await _put_policy(client, company.admin, policy, etag)
        contract = await submitted("600000.00")
        assert roles_by_stage(contract) == [["finance", "legal"], ["dept_head"], ["deputy_gm"],
                                            ["gm"]]
        edge = await submitted("100000.00")
        assert roles_by_stage(edge) == [["finance", "legal"], ["dept_head"]]

    async def test_quorum_needs_distinct_people(self, client, company, submitted, headers_for):
        policy, etag = await _policy(client, company.admin)
        policy["documents"]["contract"]["stages"][0]["steps"][0]["quorum"] = 2
        await _put_policy(client, company.admin, policy, etag)
        contract = await submitted("1000.00")
        request_id = contract["approval"]["id"]
        url = f"/api/v1/approvals/{request_id}/approve"
        first = (await client.post(url, headers=company.finance, json={})).json()
        finance_step = first["stages"][0]["steps"][0]
        assert (finance_step["approvals"], finance_step["status"]) == (1, "active")
        again = await client.post(url, headers=company.finance, json={})
        assert again.status_code == 409 and again.json()["code"] == "approval.already_decided"
        second = (await client.post(url, headers=company.finance2, json={})).json()
        assert second["stages"][0]["steps"][0]["status"] == "approved"


@pytest.fixture
def fixed_clock(app):
    """The service's clock stopped at 2026-03-10 10:00 in Shanghai."""
    from app.core.clock import system_clock

    app.state.clock = lambda: datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    yield app.state.clock
    app.state.clock = system_clock


class TestDelegation:
    async def test_delegate_acts_on_behalf_of_the_head(self, client, company, submitted,
                                                       headers_for, fixed_clock):
        created = await client.post("/api/v1/delegations", headers=company.head, json={
            "delegate_id": "deputy.head.xu", "start_date": "2026-03-09",
            "end_date": "2026-03-20", "reason": "出差"})
        assert created.status_code == 201, created.text
        contract = await submitted("1000.00")
        request_id = contract["approval"]["id"]
        for approver in (company.finance, company.legal):
            await client.post(f"/api/v1/approvals/{request_id}/approve", headers=approver,
                              json={})
        delegate = headers_for("sales_rep", sub="deputy.head.xu", dept="east")
        inbox = (await client.get("/api/v1/approvals", headers=delegate,
                                  params={"actionable": "true"})).json()
        assert [i["id"] for i in inbox["items"]] == [request_id]
        done = await client.post(f"/api/v1/approvals/{request_id}/approve", headers=delegate,
                                 json={"comment": "代批"})
        assert done.status_code == 200 and done.json()["status"] == "approved"
        decision = done.json()["stages"][1]["steps"][0]["decisions"][0]
        assert (decision["actor_id"], decision["on_behalf_of_id"]) == (
            "deputy.head.xu", "head.wang")

    async def test_delegation_outside_its_dates_grants_nothing(self, client, company, submitted,
                                                               headers_for):
        await client.post("/api/v1/delegations", headers=company.head, json={
            "delegate_id": "deputy.head.xu", "start_date": "2099-01-01", "end_date": "2099-01-02"})
        contract = await submitted("1000.00")
        for approver in (company.finance, company.legal):
            await client.post(f"/api/v1/approvals/{contract['approval']['id']}/approve",
                              headers=approver, json={})
        delegate = headers_for("sales_rep", sub="deputy.head.xu", dept="east")
        response = await client.post(f"/api/v1/approvals/{contract['approval']['id']}/approve",
                                     headers=delegate, json={})
        assert response.status_code == 404

    async def test_delegating_to_oneself_is_refused(self, client, company):
        response = await client.post("/api/v1/delegations", headers=company.head, json={
            "delegate_id": "head.wang", "start_date": "2099-01-01", "end_date": "2099-01-02"})
        assert response.status_code == 422 and response.json()["code"] == "delegation.invalid"


class TestDeadlines:
    async def test_deadline_skips_a_holiday_and_counts_a_make_up_day(self, client, company,
                                                                     submitted, app):
        await client.post("/api/v1/calendar/import", headers=company.admin, json={"days": [
            {"day": f"2026-10-0{d}", "kind": "holiday", "name": "国庆节"} for d in range(1, 8)
        ] + [{"day": "2026-10-10", "kind": "workday", "name": "国庆节调休"}]})
        # Wed 30 Sep 10:00 in Shanghai: 14 h that day, then 1–7 Oct off, then Thu 8 Oct
        # (24 h) and Fri 9 Oct until 10:00.
        app.state.clock = lambda: datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
        try:
            contract = await submitted("1000.00")
        finally:
            app.state.clock = __import__("app.core.clock", fromlist=["x"]).system_clock
        due = contract["approval"]["stages"][0]["steps"][0]["due_at"]
        assert due == "2026-10-09T02:00:00Z"

    async def test_a_calendar_edit_counts_at_once_for_the_next_deadline(self, client, company,
                                                                       submitted, app):
        """Deadlines use a cached calendar; editing the calendar refreshes it."""
        app.state.clock = lambda: datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
        try:
            before = await submitted("1000.00")  # computed on the calendar as it was
            await client.post("/api/v1/calendar/import", headers=company.admin, json={"days": [
                {"day": f"2026-10-0{d}", "kind": "holiday", "name": "国庆节"}
                for d in range(1, 8)]})
            after = await submitted("1000.00")
        finally:
            app.state.clock = __import__("app.core.clock", fromlist=["x"]).system_clock
        assert before["approval"]["stages"][0]["steps"][0]["due_at"] == "2026-10-02T02:00:00Z"
        assert after["approval"]["stages"][0]["steps"][0]["due_at"] == "2026-10-09T02:00:00Z"


class TestDelegationAndSegregation:
    async def test_a_delegate_does_not_see_their_own_request_in_the_inbox(
            self, client, company, submitted, fixed_clock):
        """The head delegated to the rep, who then submits: the head's authority is the
        rep's for the dates, but the request is the rep's own, so it is never theirs to
        decide. The inbox, the decision and allowed_actions say so alike."""
        delegated = await client.post("/api/v1/delegations", headers=company.head, json={
            "delegate_id": "rep.zhang", "start_date": "2026-03-09", "end_date": "2026-03-20"})
        assert delegated.status_code == 201, delegated.text
        request_id = (await submitted("1000.00"))["approval"]["id"]
        for approver in (company.finance, company.legal):
            await client.post(f"/api/v1/approvals/{request_id}/approve", headers=approver,
                              json={})
        inbox = (await client.get("/api/v1/approvals", headers=company.rep,
                                  params={"actionable": "true"})).json()
        assert inbox["items"] == []
        read = (await client.get(f"/api/v1/approvals/{request_id}", headers=company.rep)).json()
        assert read["allowed_actions"] == ["recall"]
        refused = await client.post(f"/api/v1/approvals/{request_id}/approve",
                                    headers=company.rep, json={})
        assert refused.status_code == 403 and refused.json()["code"] == "approval.self_approval"
        head_inbox = (await client.get("/api/v1/approvals", headers=company.head,
                                       params={"actionable": "true"})).json()
        assert [i["id"] for i in head_inbox["items"]] == [request_id]

    async def test_submitters_delegated_authority_cannot_decide_their_request(
            self, client, company, headers_for, fixed_clock):
        """The head submits, and had delegated to a colleague: that borrowed authority
        cannot approve the head's own request; the colleague's own authority still can."""
        colleague = headers_for(roles=["finance"], sub="fin.colleague")
        delegated = await client.post("/api/v1/delegations", headers=company.head, json={
            "delegate_id": "fin.colleague", "start_date": "2026-03-01", "end_date": "2026-03-31"})
        assert delegated.status_code == 201
        body = {"customer_id": company.customer_id, "title": "自审",
                "payment_schedule": [{"kind": "prepayment", "percent": "100"}],
                "lines": [{"product_id": company.product_id, "quantity": "1", "tax_rate": "0"}]}
        contract = (await client.post("/api/v1/contracts", headers=company.head, json=body)).json()
        request_id = (await client.post(f"/api/v1/contracts/{contract['id']}/submit",
                                        headers=company.head)).json()["approval"]["id"]
        own = await client.post(f"/api/v1/approvals/{request_id}/approve", headers=colleague,
                                json={})
        assert own.status_code == 200  # the finance step, on the colleague's own authority
        await client.post(f"/api/v1/approvals/{request_id}/approve", headers=company.legal,
                          json={})
        borrowed = await client.post(f"/api/v1/approvals/{request_id}/approve",
                                     headers=colleague, json={})
        assert borrowed.status_code == 403
        assert borrowed.json()["code"] == "approval.self_approval"
