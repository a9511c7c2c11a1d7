"""The default policy's stage names read in the caller's language (`stages[].label`,
`current_stage_label`, a Chinese rule's stage), from the catalogue; the names themselves stay
the policy's, and a company's own names are shown as written."""

import pytest

APPROVALS = "/api/v1/approvals"
PREVIEW = "/api/v1/approvals/preview"


def zh(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Accept-Language": "zh-CN"}


async def _save_policy(client, company, change) -> None:
    policy = (await client.get("/api/v1/approval-policy", headers=company.admin)).json()["policy"]
    change(policy)
    saved = await client.put("/api/v1/approval-policy", headers=company.admin, json=policy)
    assert saved.status_code == 200, saved.text


class TestReads:
    async def test_a_request_s_stages_in_either_language(self, client, company, submitted):
        contract = await submitted("1000.00", major_interest=True)
        url = f"{APPROVALS}/{contract['approval']['id']}"
        chinese = (await client.get(url, headers=zh(company.rep))).json()
        english = (await client.get(url, headers=company.rep)).json()
        for read in (chinese, english):
            assert [s["name"] for s in read["stages"]] == ["review", "authority", "board"]
            assert read["current_stage_name"] == "review"
        assert [s["label"] for s in chinese["stages"]] == ["会审", "分级审批", "董事会审批"]
        assert chinese["current_stage_label"] == "会审"
        assert [s["label"] for s in english["stages"]] == [
            "Review", "Approval within authority", "Board approval"]
        assert english["current_stage_label"] == "Review"
        inbox = (await client.get(APPROVALS, headers=zh(company.finance),
                                  params={"actionable": "true"})).json()["items"]
        assert [i["current_stage_label"] for i in inbox] == ["会审"]

    async def test_the_document_carries_them_too(self, client, company, submitted):
        contract = await submitted("1000.00")
        read = (await client.get(f"/api/v1/contracts/{contract['id']}",
                                 headers=zh(company.rep))).json()
        assert read["approval"]["current_stage_label"] == "会审"

    async def test_an_ended_request_has_no_current_stage(self, client, company, submitted):
        contract = await submitted("1000.00")
        await client.post(f"/api/v1/contracts/{contract['id']}/recall", headers=company.rep)
        read = (await client.get(f"{APPROVALS}/{contract['approval']['id']}",
                                 headers=zh(company.rep))).json()
        assert (read["current_stage_name"], read["current_stage_label"]) == (None, None)
        assert read["stages"][0]["label"] == "会审"


class TestRulesAndPreview:
    async def test_a_skipped_stage_is_named_by_its_label_in_chinese(self, client, company):
        body = {"document_type": "contract", "amount": "100000.00", "department_id": "east",
                "flags": []}
        chinese = (await client.post(PREVIEW, headers=zh(company.rep), json=body)).json()
        english = (await client.post(PREVIEW, headers=company.rep, json=body)).json()
        [skipped] = [r for r in chinese["fired_rules"] if r["code"] == "stage.skipped"]
        assert skipped["params"] == {"stage": "board", "when": "major_interest"}
        assert skipped["message"] == "跳过阶段“董事会审批”：仅在“重大利益”时适用"
        [skipped] = [r for r in english["fired_rules"] if r["code"] == "stage.skipped"]
        assert skipped["message"] == (
            "stage 'board' skipped: applies only when 'major_interest' is set")
        assert [(s["name"], s["label"]) for s in chinese["stages"]] == [
            ("review", "会审"), ("authority", "分级审批")]
        assert [s["label"] for s in english["stages"]] == ["Review", "Approval within authority"]

    @pytest.mark.parametrize(("document_type", "labels"), [
        ("contract_termination", ["部门经理审批", "会审", "总经理审批"]),
        ("sales_plan", ["分管副总审核", "总经理审批"]),
        ("expense_budget", ["财务审核", "总经理审批"]),
        ("corrective_action", ["专家组评审"]),
    ])
    async def test_every_default_chain_reads_in_chinese(self, client, company, document_type,
                                                        labels):
        preview = await client.post(PREVIEW, headers=zh(company.rep), json={
            "document_type": document_type, "amount": "1000.00", "department_id": "east"})
        assert preview.status_code == 200, preview.text
        assert [s["label"] for s in preview.json()["stages"]] == labels

    async def test_cumulative_tiers_are_numbered(self, client, company):
        await _save_policy(client, company, lambda p: p.update(tier_mode="cumulative"))
        preview = await client.post(PREVIEW, headers=zh(company.rep), json={
            "document_type": "contract", "amount": "600000.00", "department_id": "east"})
        assert [(s["name"], s["label"]) for s in preview.json()["stages"]] == [
            ("review", "会审"), ("authority_1", "分级审批（第 1 级）"),
            ("authority_2", "分级审批（第 2 级）"), ("authority_3", "分级审批（第 3 级）")]

    async def test_a_company_s_own_names_stay_as_written(self, client, company):
        def own_stage(policy: dict) -> None:
            policy["documents"]["contract"]["stages"] += [
                {"name": "法务复核", "steps": [{"role": "legal"}], "when": "key_customer"},
                {"name": "Export control", "steps": [{"role": "legal"}]}]

        await _save_policy(client, company, own_stage)
        body = {"document_type": "contract", "amount": "1000.00", "department_id": "east"}
        for headers in (zh(company.rep), company.rep):
            preview = (await client.post(PREVIEW, headers=headers, json=body)).json()
            assert [s["label"] for s in preview["stages"]][-1] == "Export control"
            [skipped] = [r for r in preview["fired_rules"]
                         if r["code"] == "stage.skipped" and r["params"]["stage"] == "法务复核"]
            assert "法务复核" in skipped["message"]


class TestCatalogue:
    async def test_the_stage_labels_are_in_the_catalogue(self, client, company):
        chinese = (await client.get("/api/v1/messages", headers=zh(company.rep))).json()
        assert chinese["stages"]["review"] == "会审"
        assert chinese["stages"]["general_manager"] == "总经理审批"
        assert chinese["stage_tier"] == "{stage}（第 {tier} 级）"
        english = (await client.get("/api/v1/messages", headers=company.rep)).json()
        assert english["stages"]["department"] == "Department manager approval"
