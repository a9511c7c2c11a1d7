"""Opportunities (SPEC §3): grade, expected amount and close date, stages in order with
their probability, the proposal review before negotiation, won and lost."""

import pytest
from sqlalchemy import select

from app.events.models import Event

OPPORTUNITIES = "/api/v1/opportunities"


@pytest.fixture
def opportunity(client, company):
    async def make(grade: str = "high", headers: dict | None = None, **overrides) -> dict:
        body = {"customer_id": company.customer_id, "title": "港城二期水泵项目", "grade": grade,
                "expected_amount": "860000.00", "expected_close_date": "2026-09-30"} | overrides
        response = await client.post(OPPORTUNITIES, headers=headers or company.rep, json=body)
        assert response.status_code == 201, response.text
        return response.json()
    return make


@pytest.fixture
def move(client, company):
    async def go(opportunity: dict, *stages: str, headers: dict | None = None):
        response = None
        for stage in stages:
            response = await client.post(f"{OPPORTUNITIES}/{opportunity['id']}/stage",
                                         headers=headers or company.rep, json={"stage": stage})
        return response
    return go


async def _submit(client, company, opportunity: dict) -> dict:
    response = await client.post(f"{OPPORTUNITIES}/{opportunity['id']}/proposal/submit",
                                 headers=company.rep,
                                 json={"summary": "两台 MP-250 多级泵, 含安装"})
    assert response.status_code == 200, response.text
    return response.json()


class TestCreate:
    async def test_opens_at_qualification_with_its_probability(self, opportunity, company):
        created = await opportunity()
        assert (created["stage"], created["probability"], created["owner_id"],
                created["department_id"]) == ("qualification", 10, "rep.zhang", "east")
        assert created["expected_amount"] == "860000.00"
        assert created["weighted_amount"] == "86000.00"
        assert created["approval"] is None
        assert set(created["allowed_actions"]) == {"update", "move_stage", "lose"}

    async def test_only_with_your_own_customer(self, client, company):
        response = await client.post(OPPORTUNITIES, headers=company.other_rep, json={
            "customer_id": company.customer_id, "title": "x", "grade": "low",
            "expected_amount": "1", "expected_close_date": "2026-09-30"})
        assert response.status_code == 422
        assert response.json()["code"] == "opportunity.unknown_customer"

    @pytest.mark.parametrize(("field", "value"), [
        ("grade", "urgent"), ("expected_amount", "-1"), ("expected_amount", "1.001"),
        ("expected_close_date", "soon"), ("probability", 101)])
    async def test_bad_input(self, client, company, field, value):
        body = {"customer_id": company.customer_id, "title": "x", "grade": "low",
                "expected_amount": "1", "expected_close_date": "2026-09-30", field: value}
        response = await client.post(OPPORTUNITIES, headers=company.rep, json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", field]

    async def test_other_reps_opportunity_is_404(self, client, company, opportunity):
        created = await opportunity()
        url = f"{OPPORTUNITIES}/{created['id']}"
        assert (await client.get(url, headers=company.other_rep)).status_code == 404
        moved = await client.post(f"{url}/stage", headers=company.other_rep,
                                  json={"stage": "needs_analysis"})
        assert moved.status_code == 404 and moved.json()["code"] == "opportunity.not_found"
        assert (await client.get(url, headers=company.head)).status_code == 200


class TestStages:
    async def test_forward_one_stage_at_a_time_with_the_stage_probability(
            self, opportunity, move):
        created = await opportunity(grade="low")
        response = await move(created, "needs_analysis")
        assert response.json()["probability"] == 25
        skipped = await move(created, "negotiation")
        assert skipped.status_code == 409
        assert skipped.json()["code"] == "state.invalid_transition"
        assert skipped.json()["allowed_next"] == ["proposal", "qualification"]
        assert (await move(created, "proposal")).json()["probability"] == 50
        assert (await move(created, "negotiation")).json()["probability"] == 75

    async def test_back_to_an_earlier_stage(self, opportunity, move):
        created = await opportunity(grade="low")
        await move(created, "needs_analysis", "proposal")
        back = await move(created, "qualification")
        assert back.status_code == 200 and back.json()["stage"] == "qualification"
        assert back.json()["probability"] == 10

    async def test_won_and_lost_are_not_stage_moves(self, opportunity, move):
        created = await opportunity(grade="low")
        await move(created, "needs_analysis", "proposal", "negotiation")
        response = await move(created, "won")
        assert response.status_code == 409 and "/win" in response.json()["detail"]

    async def test_win_only_from_negotiation(self, client, company, opportunity, move, session):
        created = await opportunity(grade="low")
        url = f"{OPPORTUNITIES}/{created['id']}"
        early = await client.post(f"{url}/win", headers=company.rep, json={})
        assert early.status_code == 409 and early.json()["allowed_next"] == [
            "lost", "needs_analysis"]
        await move(created, "needs_analysis", "proposal", "negotiation")
        won = await client.post(f"{url}/win", headers=company.rep, json={"amount": "845000.00"})
        assert won.status_code == 200
        body = won.json()
        assert (body["stage"], body["probability"], body["won_amount"]) == ("won", 100,
                                                                         "845000.00")
        assert body["closed_at"] and body["allowed_actions"] == []
        event = (await session.execute(select(Event).where(Event.type == "opportunity.won")
                                       )).scalar_one()
        assert event.data["won_amount"] == "845000.00"
        again = await client.post(f"{url}/lose", headers=company.rep, json={"reason": "x"})
        assert again.status_code == 409

    async def test_won_amount_defaults_to_the_expected_amount(self, client, company,
                                                             opportunity, move):
        created = await opportunity(grade="low")
        await move(created, "needs_analysis", "proposal", "negotiation")
        won = (await client.post(f"{OPPORTUNITIES}/{created['id']}/win", headers=company.rep,
                                 json={})).json()
        assert won["won_amount"] == "860000.00"

    async def test_lose_with_a_reason_from_any_open_stage(self, client, company, opportunity):
        created = await opportunity()
        url = f"{OPPORTUNITIES}/{created['id']}"
        assert (await client.post(f"{url}/lose", headers=company.rep, json={})).status_code == 422
        lost = await client.post(f"{url}/lose", headers=company.rep,
                                 json={"reason": "客户选择了竞争对手 (价格)"})
        assert lost.status_code == 200
        assert (lost.json()["stage"], lost.json()["probability"]) == ("lost", 0)
        assert lost.json()["lost_reason"] == "客户选择了竞争对手 (价格)"
        edit = await client.patch(url, headers=company.rep, json={"title": "x"})
        assert edit.status_code == 409 and edit.json()["code"] == "opportunity.closed"


class TestProposal:
    @pytest.mark.parametrize("grade", ["high", "medium"])
    async def test_high_and_medium_negotiate_only_after_the_head_approves(
            self, client, company, opportunity, move, grade, session):
        created = await opportunity(grade=grade)
        await move(created, "needs_analysis", "proposal")
        refused = await move(created, "negotiation")
        assert refused.status_code == 409
        assert refused.json()["code"] == "opportunity.proposal_not_approved"
        submitted = await _submit(client, company, created)
        assert submitted["proposal_status"] == "pending_approval"
        assert [[s["role"] for s in stage["steps"]]
                for stage in submitted["approval"]["stages"]] == [["dept_head"]]
        assert submitted["approval"]["department_id"] == "east"
        assert (await move(created, "negotiation")).json()["code"] == "opportunity.proposal_pending"
        head_view = (await client.get(f"{OPPORTUNITIES}/{created['id']}",
                                      headers=company.head)).json()
        assert {"approve", "reject"} <= set(head_view["allowed_actions"])
        approved = await client.post(f"/api/v1/approvals/{submitted['approval']['id']}/approve",
                                     headers=company.head, json={"comment": "方案可行"})
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        after = (await client.get(f"{OPPORTUNITIES}/{created['id']}",
                                  headers=company.rep)).json()
        assert after["proposal_status"] == "approved"
        negotiating = await move(created, "negotiation")
        assert negotiating.status_code == 200 and negotiating.json()["stage"] == "negotiation"
        types = (await session.execute(select(Event.type).where(
            Event.subject == f"opportunity:{created['id']}").order_by(Event.id))).scalars().all()
        assert types == ["opportunity.created", "opportunity.stage_changed",
                         "opportunity.stage_changed", "opportunity.proposal_submitted",
                         "opportunity.proposal_approved", "opportunity.stage_changed"]

    async def test_low_grade_needs_no_review(self, opportunity, move):
        created = await opportunity(grade="low")
        response = await move(created, "needs_analysis", "proposal", "negotiation")
        assert response.status_code == 200

    async def test_rejected_then_resubmitted_as_a_new_request(self, client, company,
                                                             opportunity, move):
        created = await opportunity(grade="medium")
        await move(created, "needs_analysis", "proposal")
        first = await _submit(client, company, created)
        rejected = await client.post(f"/api/v1/approvals/{first['approval']['id']}/reject",
                                     headers=company.head, json={"comment": "价格策略不清"})
        assert rejected.status_code == 200
        back = (await client.get(f"{OPPORTUNITIES}/{created['id']}", headers=company.rep)).json()
        assert (back["proposal_status"], back["proposal_rejection_reason"]) == (
            "rejected", "价格策略不清")
        assert (await move(created, "negotiation")).status_code == 409
        second = await _submit(client, company, created)
        assert second["approval"]["id"] != first["approval"]["id"]
        assert second["proposal_rejection_reason"] is None

    async def test_submitted_only_at_the_proposal_stage(self, client, company, opportunity):
        created = await opportunity()
        response = await client.post(f"{OPPORTUNITIES}/{created['id']}/proposal/submit",
                                     headers=company.rep, json={"summary": "x"})
        assert response.status_code == 409
        assert response.json()["code"] == "opportunity.proposal_out_of_stage"

    async def test_pending_proposal_locks_the_opportunity_until_recalled(
            self, client, company, opportunity, move):
        created = await opportunity()
        url = f"{OPPORTUNITIES}/{created['id']}"
        await move(created, "needs_analysis", "proposal")
        submitted = await _submit(client, company, created)
        assert submitted["allowed_actions"] == ["recall_proposal"]
        for response in (
            await client.patch(url, headers=company.rep, json={"grade": "low"}),
            await client.post(f"{url}/lose", headers=company.rep, json={"reason": "x"}),
            await client.post(f"{url}/proposal/submit", headers=company.rep,
                              json={"summary": "again"}),
        ):
            assert response.status_code == 409
            assert response.json()["code"] == "opportunity.proposal_pending"
        by_head = await client.post(f"{url}/proposal/recall", headers=company.head)
        assert by_head.status_code == 403 and by_head.json()["code"] == "approval.not_submitter"
        recalled = await client.post(f"{url}/proposal/recall", headers=company.rep)
        assert recalled.status_code == 200
        assert recalled.json()["proposal_status"] == "recalled"
        assert recalled.json()["approval"]["status"] == "recalled"
        nothing = await client.post(f"{url}/proposal/recall", headers=company.rep)
        assert nothing.status_code == 409
        assert nothing.json()["code"] == "opportunity.no_pending_proposal"

    async def test_the_submitter_cannot_approve_their_own_proposal(
            self, client, company, opportunity, move):
        created = await opportunity(headers=company.head)
        await move(created, "needs_analysis", "proposal", headers=company.head)
        response = await client.post(f"{OPPORTUNITIES}/{created['id']}/proposal/submit",
                                     headers=company.head, json={"summary": "x"})
        request_id = response.json()["approval"]["id"]
        own = await client.post(f"/api/v1/approvals/{request_id}/approve",
                                headers=company.head, json={})
        assert own.status_code == 403 and own.json()["code"] == "approval.self_approval"


class TestUpdate:
    async def test_edit_with_if_match(self, client, company, opportunity):
        created = await opportunity()
        url = f"{OPPORTUNITIES}/{created['id']}"
        edited = await client.patch(url, headers={**company.rep, "If-Match": '"1"'},
                                    json={"expected_amount": "900000", "probability": 35})
        assert edited.status_code == 200 and edited.headers["ETag"] == '"2"'
        assert edited.json()["weighted_amount"] == "315000.00"
        stale = await client.patch(url, headers={**company.rep, "If-Match": '"1"'},
                                   json={"title": "x"})
        assert stale.status_code == 412


class TestList:
    async def test_filters_and_visibility(self, client, company, opportunity, move):
        high = await opportunity()
        low = await opportunity(grade="low")
        await move(low, "needs_analysis")

        async def ids(headers=company.rep, **params):
            body = (await client.get(OPPORTUNITIES, headers=headers, params=params)).json()
            return [item["id"] for item in body["items"]]

        assert await ids() == [low["id"], high["id"]]
        assert await ids(grade="high") == [high["id"]]
        assert await ids(stage="needs_analysis") == [low["id"]]
        assert await ids(headers=company.other_rep) == []
        assert await ids(headers=company.head, owner_id="rep.zhang") == [low["id"], high["id"]]
