"""Amendments make revision n+1 and void revision n when signed; terminations end a
signed contract only once approved (dept head → finance ∥ legal → GM)."""

import pytest

from tests.company import roles_by_stage

SIGN = {"signed_date": "2026-01-05", "signatories": [
    {"party": "customer", "name": "王总"}, {"party": "company", "name": "周总"}]}


async def _approve_all(client, company, request_id: int) -> dict:
    """Approve every step in order with whoever may decide it."""
    deciders = [company.finance, company.legal, company.head, company.vp, company.gm,
                company.board]
    while True:
        approval = (await client.get(f"/api/v1/approvals/{request_id}",
                                     headers=company.admin)).json()
        if approval["status"] != "pending":
            return approval
        for headers in deciders:
            response = await client.post(f"/api/v1/approvals/{request_id}/approve",
                                         headers=headers, json={})
            if response.status_code == 200:
                break
        else:
            raise AssertionError(f"nobody could approve {approval}")


@pytest.fixture
def signed(client, company, submitted):
    async def make(total: str = "1000.00") -> dict:
        contract = await submitted(total)
        await _approve_all(client, company, contract["approval"]["id"])
        response = await client.post(f"/api/v1/contracts/{contract['id']}/sign",
                                     headers=company.rep, json=SIGN)
        assert response.status_code == 200, response.text
        return response.json()
    return make


class TestAmendments:
    async def test_amendment_is_approved_on_its_new_total_and_voids_the_original(
            self, client, company, signed):
        original = await signed("90000.00")
        assert "amend" in original["allowed_actions"]
        created = await client.post(f"/api/v1/contracts/{original['id']}/amendments",
                                    headers=company.rep)
        assert created.status_code == 201, created.text
        amendment = created.json()
        assert (amendment["revision"], amendment["status"], amendment["predecessor_id"]) == (
            2, "draft", original["id"])
        assert amendment["lines"][0]["unit_price"] == "90000.0000"
        url = f"/api/v1/contracts/{amendment['id']}"
        await client.patch(url, headers=company.rep, json={"lines": [
            {"product_id": company.product_id, "quantity": "1", "unit_price": "150000",
             "tax_rate": "0"}]})
        submitted = (await client.post(f"{url}/submit", headers=company.rep)).json()
        assert submitted["approval"]["policy_key"] == "contract_amendment"
        assert roles_by_stage(submitted) == [["finance", "legal"], ["deputy_gm"]]
        await _approve_all(client, company, submitted["approval"]["id"])
        assert (await client.post(f"{url}/sign", headers=company.rep, json=SIGN)).status_code == 200

        voided = (await client.get(f"/api/v1/contracts/{original['id']}", headers=company.rep)).json()
        assert voided["status"] == "voided" and voided["successor_id"] == amendment["id"]
        assert voided["voided_at"] is not None
        history = (await client.get(f"{url}/versions", headers=company.rep)).json()
        assert [(v["revision"], v["status"]) for v in history["versions"]] == [
            (1, "voided"), (2, "signed")]
        feed = (await client.get("/api/v1/events", headers=company.admin,
                                 params={"types": "contract.amended,contract.voided"})).json()
        assert [e["type"] for e in feed["items"]] == ["contract.amended", "contract.voided"]

    async def test_only_signed_contracts_are_amended_once_at_a_time(self, client, company,
                                                                    draft, signed):
        unsigned = await draft("1000.00")
        response = await client.post(f"/api/v1/contracts/{unsigned['id']}/amendments",
                                     headers=company.rep)
        assert response.status_code == 409 and response.json()["code"] == "state.invalid_transition"
        original = await signed("1000.00")
        await client.post(f"/api/v1/contracts/{original['id']}/amendments", headers=company.rep)
        second = await client.post(f"/api/v1/contracts/{original['id']}/amendments",
                                   headers=company.rep)
        assert second.status_code == 409 and second.json()["code"] == "contract.amendment_exists"


class TestTermination:
    async def test_termination_chain_then_terminated(self, client, company, signed):
        contract = await signed("1000.00")
        url = f"/api/v1/contracts/{contract['id']}"
        no_reason = await client.post(f"{url}/termination", headers=company.rep, json={})
        assert no_reason.status_code == 422
        requested = (await client.post(f"{url}/termination", headers=company.rep,
                                       json={"reason": "客户经营困难, 协商解除"})).json()
        assert requested["status"] == "signed"  # in force until approved
        chain = [[s["role"] for s in stage["steps"]]
                 for stage in requested["termination_approval"]["stages"]]
        assert chain == [["dept_head"], ["finance", "legal"], ["gm"]]
        again = await client.post(f"{url}/termination", headers=company.rep, json={"reason": "x"})
        assert again.status_code == 409 and again.json()["code"] == "contract.termination_pending"
        await _approve_all(client, company, requested["termination_approval"]["id"])
        ended = (await client.get(url, headers=company.rep)).json()
        assert ended["status"] == "terminated" and ended["terminated_at"] is not None
        assert ended["allowed_actions"] == []

    async def test_rejected_termination_leaves_the_contract_in_force(self, client, company,
                                                                     signed):
        contract = await signed("1000.00")
        url = f"/api/v1/contracts/{contract['id']}"
        requested = (await client.post(f"{url}/termination", headers=company.rep,
                                       json={"reason": "价格分歧"})).json()
        request_id = requested["termination_approval"]["id"]
        await client.post(f"/api/v1/approvals/{request_id}/reject", headers=company.head,
                          json={"comment": "先协商"})
        kept = (await client.get(url, headers=company.rep)).json()
        assert kept["status"] == "signed" and kept["termination_reason"] is None
        assert "terminate" in kept["allowed_actions"]

    async def test_the_requester_recalls_a_pending_termination(self, client, company, signed):
        contract = await signed("1000.00")
        url = f"/api/v1/contracts/{contract['id']}"
        nothing = await client.post(f"{url}/termination/recall", headers=company.rep)
        assert nothing.status_code == 409
        assert nothing.json()["code"] == "contract.no_termination_pending"

        requested = (await client.post(f"{url}/termination", headers=company.rep,
                                       json={"reason": "重复下单"})).json()
        request_id = requested["termination_approval"]["id"]
        assert "recall_termination" in requested["allowed_actions"]
        # Only the requester: another rep does not even see the contract, and the head,
        # who sees it and decides the termination, may not withdraw it.
        other = await client.post(f"{url}/termination/recall", headers=company.other_rep)
        assert other.status_code == 404
        head = await client.post(f"{url}/termination/recall", headers=company.head)
        assert head.status_code == 403, head.text
        assert head.json()["code"] == "approval.not_submitter"
        head_view = (await client.get(url, headers=company.head)).json()
        assert "recall_termination" not in head_view["allowed_actions"]
        assert head_view["termination_approval"]["allowed_actions"] == ["approve", "reject"]

        recalled = await client.post(f"{url}/termination/recall", headers=company.rep)
        assert recalled.status_code == 200, recalled.text
        kept = recalled.json()
        assert kept["status"] == "signed" and kept["termination_reason"] is None
        assert kept["termination_approval"]["status"] == "recalled"
        assert "terminate" in kept["allowed_actions"]
        assert "recall_termination" not in kept["allowed_actions"]
        again = await client.post(f"{url}/termination/recall", headers=company.rep)
        assert again.json()["code"] == "contract.no_termination_pending"
        late = await client.post(f"/api/v1/approvals/{request_id}/approve",
                                 headers=company.head, json={})
        assert late.status_code == 409

        feed = (await client.get("/api/v1/events", headers=company.admin, params={
            "types": "contract.termination_requested,contract.termination_recalled"})).json()
        assert [(e["type"], e["data"]["termination_request_id"]) for e in feed["items"]] == [
            ("contract.termination_requested", request_id),
            ("contract.termination_recalled", request_id)]
