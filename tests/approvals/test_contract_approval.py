"""SPEC §2 on sales contracts: tiers at every edge, the chain, decisions, SoD, recall."""

import pytest

from tests.company import roles_by_stage


async def _approve(client, request_id: int, headers: dict, **body) -> dict:
    response = await client.post(f"/api/v1/approvals/{request_id}/approve", headers=headers,
                                 json=body)
    assert response.status_code == 200, response.text
    return response.json()


class TestTiers:
    @pytest.mark.parametrize(("total", "approver"), [
        ("0.01", "dept_head"), ("100000.00", "dept_head"), ("100000.01", "deputy_gm"),
        ("500000.00", "deputy_gm"), ("500000.01", "gm"), ("98000000.00", "gm")])
    async def test_tier_approver_at_the_edges(self, submitted, total, approver):
        contract = await submitted(total)
        assert roles_by_stage(contract) == [["finance", "legal"], [approver]]
        assert contract["status"] == "pending_approval"
        assert contract["approval"]["policy_version"] == 1

    async def test_foreign_currency_is_tiered_in_cny(self, submitted):
        contract = await submitted("15000.00", currency="USD", exchange_rate="7.100000")
        assert contract["total_base"] == "106500.00"
        assert roles_by_stage(contract)[1] == ["deputy_gm"]

    async def test_major_interest_adds_the_board(self, submitted):
        contract = await submitted("2000.00", major_interest=True)
        assert roles_by_stage(contract) == [["finance", "legal"], ["dept_head"], ["board"]]
        assert any("board" in rule["message"] for rule in contract["approval"]["fired_rules"])

    async def test_preview_equals_what_submission_produces(self, client, company, draft):
        contract = await draft("600000.00", major_interest=True)
        preview = (await client.post("/api/v1/approvals/preview", headers=company.rep, json={
            "document_type": "contract", "document_id": contract["id"]})).json()
        described = (await client.post("/api/v1/approvals/preview", headers=company.rep, json={
            "document_type": "contract", "amount": "600000.00", "department_id": "east",
            "flags": ["major_interest"]})).json()
        submitted = (await client.post(f"/api/v1/contracts/{contract['id']}/submit",
                                       headers=company.rep)).json()
        chain = [[(s["role"], s["department_id"], s["rule"]) for s in stage["steps"]]
                 for stage in submitted["approval"]["stages"]]
        for p in (preview, described):
            assert [[(s["role"], s["department_id"], s["rule"]) for s in stage["steps"]]
                    for stage in p["stages"]] == chain
            assert p["fired_rules"] == submitted["approval"]["fired_rules"]


    async def test_preview_of_an_invisible_contract_is_404(self, client, company, draft):
        contract = await draft("1000.00")
        response = await client.post("/api/v1/approvals/preview", headers=company.other_rep,
                                     json={"document_type": "contract",
                                           "document_id": contract["id"]})
        assert response.status_code == 404 and response.json()["code"] == "contract.not_found"

    async def test_preview_of_an_unknown_document_type(self, client, company):
        response = await client.post("/api/v1/approvals/preview", headers=company.rep,
                                     json={"document_type": "spaceship", "document_id": 1})
        assert response.status_code == 422 and response.json()["code"] == "approval.no_policy"


class TestLifecycle:
    async def test_600000_needs_finance_legal_and_gm_before_signing(self, client, company,
                                                                    submitted):
        contract = await submitted("600000.00")
        url, request_id = f"/api/v1/contracts/{contract['id']}", contract["approval"]["id"]
        sign = {"signed_date": "2026-01-05", "signatories": [
            {"party": "customer", "name": "王总"}, {"party": "company", "name": "周总"}]}

        async def try_sign() -> int:
            return (await client.post(f"{url}/sign", headers=company.rep, json=sign)).status_code

        assert await try_sign() == 409
        await _approve(client, request_id, company.finance, comment="付款条件可接受")
        assert await try_sign() == 409
        # The GM's step waits until review is complete.
        early = await client.post(f"/api/v1/approvals/{request_id}/approve", headers=company.gm,
                                  json={})
        assert early.status_code == 409 and early.json()["code"] == "approval.step_not_pending"
        await _approve(client, request_id, company.legal)
        assert await try_sign() == 409
        final = await _approve(client, request_id, company.gm)
        assert final["status"] == "approved"
        assert (await client.get(url, headers=company.rep)).json()["allowed_actions"] == ["sign"]
        signed = await client.post(f"{url}/sign", headers=company.rep, json=sign)
        assert signed.status_code == 200 and signed.json()["status"] == "signed"

    async def test_decisions_are_recorded_and_audited(self, client, company, submitted, session):
        contract = await submitted("1000.00")
        request_id = contract["approval"]["id"]
        await _approve(client, request_id, company.finance, comment="OK")
        approval = (await client.get(f"/api/v1/approvals/{request_id}",
                                     headers=company.finance)).json()
        decision = approval["stages"][0]["steps"][0]["decisions"][0]
        assert (decision["actor_id"], decision["decision"], decision["comment"]) == (
            "fin.qian", "approve", "OK")
        assert decision["document_version"] == contract["version"]
        feed = (await client.get("/api/v1/events", headers=company.admin,
                                 params={"types": "approval.step_pending,contract.submitted"})).json()
        assert [e["type"] for e in feed["items"]].count("approval.step_pending") == 2

    async def test_reject_returns_to_draft_and_resubmission_is_a_new_request(
            self, client, company, submitted):
        contract = await submitted("1000.00")
        first_request = contract["approval"]["id"]
        no_reason = await client.post(f"/api/v1/approvals/{first_request}/reject",
                                      headers=company.legal, json={})
        assert no_reason.status_code == 422
        rejected = await client.post(f"/api/v1/approvals/{first_request}/reject",
                                     headers=company.legal, json={"comment": "违约条款缺失"})
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
        url = f"/api/v1/contracts/{contract['id']}"
        back = (await client.get(url, headers=company.rep)).json()
        assert back["status"] == "draft" and back["rejection_reason"] == "违约条款缺失"
        assert "submit" in back["allowed_actions"]
        again = (await client.post(f"{url}/submit", headers=company.rep)).json()
        assert again["approval"]["id"] != first_request
        assert again["approval"]["status"] == "pending" and again["rejection_reason"] is None

    async def test_recall_by_the_submitter_only(self, client, company, submitted):
        contract = await submitted("1000.00")
        url = f"/api/v1/contracts/{contract['id']}"
        other = await client.post(f"{url}/recall", headers=company.head)
        assert other.status_code == 403 and other.json()["code"] == "approval.not_submitter"
        recalled = await client.post(f"{url}/recall", headers=company.rep)
        assert recalled.status_code == 200 and recalled.json()["status"] == "draft"
        assert recalled.json()["version"] == contract["version"] + 1  # the answer is current
        assert recalled.json()["approval"]["status"] == "recalled"
        late = await client.post(f"/api/v1/approvals/{contract['approval']['id']}/approve",
                                 headers=company.finance, json={})
        assert late.status_code == 409 and late.json()["code"] == "approval.not_pending"

    async def test_a_recall_on_a_stale_version_is_refused(self, client, company, submitted):
        """A recall may name the version it was decided on (If-Match), like every write:
        the document changed since (here: approved) refuses it and nothing moves."""
        contract = await submitted("1000.00")
        url = f"/api/v1/contracts/{contract['id']}"
        stale = await client.post(f"{url}/recall", headers=company.rep | {
            "If-Match": f'"{contract["version"] - 1}"'})
        assert stale.status_code == 412, stale.text
        assert (await client.get(url, headers=company.rep)).json()["status"] == "pending_approval"
        fresh = await client.post(f"{url}/recall", headers=company.rep | {
            "If-Match": f'"{contract["version"]}"'})
        assert fresh.status_code == 200 and fresh.json()["status"] == "draft"


class TestLocking:
    async def test_pending_and_approved_contracts_cannot_be_edited(self, client, company,
                                                                   submitted):
        contract = await submitted("1000.00")
        url = f"/api/v1/contracts/{contract['id']}"
        pending = await client.patch(url, headers=company.rep, json={"title": "改"})
        assert pending.status_code == 409 and pending.json()["code"] == "contract.locked"
        request_id = contract["approval"]["id"]
        for approver in (company.finance, company.legal, company.head):
            await _approve(client, request_id, approver)
        approved = await client.patch(url, headers=company.rep, json={"title": "改"})
        assert approved.status_code == 409 and approved.json()["code"] == "contract.locked"
        assert (await client.get(url, headers=company.rep)).json()["title"] == "水泵采购合同"

    async def test_draft_edit_recomputes_totals(self, client, company, draft):
        contract = await draft("1000.00")
        response = await client.patch(f"/api/v1/contracts/{contract['id']}", headers=company.rep,
                                      json={"lines": [{"product_id": company.product_id,
                                                       "quantity": "3", "unit_price": "33.333"}]})
        body = response.json()
        # 3 × 33.333 = 99.999 → 100.00 net; 13 % tax → 13.00
        assert (body["subtotal"], body["tax_total"], body["total"]) == ("100.00", "13.00", "113.00")


class TestSegregationOfDuties:
    async def test_submitter_cannot_approve(self, client, company, headers_for):
        # A department head drafting and submitting their own department's contract.
        head = company.head
        body = {"customer_id": company.customer_id, "title": "自审", "payment_schedule":
                [{"kind": "prepayment", "percent": "100"}],
                "lines": [{"product_id": company.product_id, "quantity": "1", "tax_rate": "0"}]}
        contract = (await client.post("/api/v1/contracts", headers=head, json=body)).json()
        submitted = (await client.post(f"/api/v1/contracts/{contract['id']}/submit",
                                       headers=head)).json()
        request_id = submitted["approval"]["id"]
        for approver in (company.finance, company.legal):
            await _approve(client, request_id, approver)
        response = await client.post(f"/api/v1/approvals/{request_id}/approve", headers=head,
                                     json={})
        assert response.status_code == 403 and response.json()["code"] == "approval.self_approval"

    async def test_one_person_cannot_approve_two_steps(self, client, company, submitted,
                                                       headers_for):
        contract = await submitted("1000.00")
        both = headers_for(roles=["finance", "legal"], sub="fin.legal.wu")
        request_id = contract["approval"]["id"]
        ambiguous = await client.post(f"/api/v1/approvals/{request_id}/approve", headers=both,
                                      json={})
        assert ambiguous.status_code == 422 and ambiguous.json()["code"] == "approval.step_required"
        steps = contract["approval"]["stages"][0]["steps"]
        await _approve(client, request_id, both, step_id=steps[0]["id"])
        second = await client.post(f"/api/v1/approvals/{request_id}/approve", headers=both,
                                   json={"step_id": steps[1]["id"]})
        assert second.status_code == 403
        assert second.json()["code"] == "approval.duplicate_approver"

    async def test_outsiders_cannot_decide(self, client, company, submitted, headers_for):
        contract = await submitted("1000.00")
        request_id = contract["approval"]["id"]
        west_head = headers_for("dept_head", sub="head.west", dept="west")
        response = await client.post(f"/api/v1/approvals/{request_id}/approve",
                                     headers=west_head, json={})
        assert response.status_code == 404


class TestInbox:
    async def test_head_inbox_shows_exactly_what_waits_on_them(self, client, company, submitted):
        small = await submitted("1000.00")
        big = await submitted("200000.00")
        inbox = (await client.get("/api/v1/approvals", headers=company.head,
                                  params={"actionable": "true"})).json()
        assert inbox["items"] == []  # finance and legal first
        for contract in (small, big):
            for approver in (company.finance, company.legal):
                await _approve(client, contract["approval"]["id"], approver)
        inbox = (await client.get("/api/v1/approvals", headers=company.head,
                                  params={"actionable": "true"})).json()
        assert [i["document_id"] for i in inbox["items"]] == [small["id"]]
        assert inbox["items"][0]["allowed_actions"] == ["approve", "reject"]
        vp_inbox = (await client.get("/api/v1/approvals", headers=company.vp,
                                     params={"actionable": "true"})).json()
        assert [i["document_id"] for i in vp_inbox["items"]] == [big["id"]]
        finance_inbox = (await client.get("/api/v1/approvals", headers=company.finance,
                                          params={"actionable": "true"})).json()
        assert finance_inbox["items"] == []

    async def test_visibility_of_contracts(self, client, company, draft):
        contract = await draft("1000.00")
        url = f"/api/v1/contracts/{contract['id']}"
        assert (await client.get(url, headers=company.other_rep)).status_code == 404
        assert (await client.get(url, headers=company.head)).status_code == 200
        assert (await client.get(url, headers=company.finance)).status_code == 200
        listed = (await client.get("/api/v1/contracts", headers=company.other_rep)).json()
        assert listed["items"] == []


class TestInboxItems:
    async def test_an_inbox_item_says_what_it_waits_on_and_until_when(self, client, company,
                                                                      submitted):
        contract = await submitted("1000.00")
        inbox = (await client.get("/api/v1/approvals", params={"actionable": "true"},
                                  headers=company.finance)).json()["items"]
        [item] = [i for i in inbox if i["id"] == contract["approval"]["id"]]
        assert item["current_stage_name"] == "review"
        assert sorted(w["role"] for w in item["waiting_on"]) == ["finance", "legal"]
        assert item["due_at"] == min(w["due_at"] for w in item["waiting_on"])
        assert item["overdue"] is False
        await client.post(f"/api/v1/approvals/{item['id']}/approve", headers=company.finance,
                          json={})
        after = (await client.get(f"/api/v1/approvals/{item['id']}",
                                  headers=company.finance)).json()
        assert [w["role"] for w in after["waiting_on"]] == ["legal"]
        await client.post(f"/api/v1/approvals/{item['id']}/approve", headers=company.legal,
                          json={})
        head = (await client.get(f"/api/v1/approvals/{item['id']}",
                                 headers=company.head)).json()
        assert head["current_stage_name"] == "authority"
        assert [w["role"] for w in head["waiting_on"]] == ["dept_head"]
        await client.post(f"/api/v1/approvals/{item['id']}/approve", headers=company.head,
                          json={})
        done = (await client.get(f"/api/v1/approvals/{item['id']}",
                                 headers=company.head)).json()
        assert done["status"] == "approved"
        assert (done["waiting_on"], done["due_at"], done["current_stage_name"]) == ([], None,
                                                                                     None)
