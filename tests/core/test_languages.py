"""Chinese for Chinese users: problems, validation messages and approval rules in zh-CN
(the default) or en, negotiated from Accept-Language, stated back with Content-Language
and Vary; through HTTP, on the suite's database.

The suite's `client` sends `Accept-Language: en`; these tests send their own header, or
none through a client of their own."""

from collections.abc import AsyncIterator

import httpx
import pytest

from app.core.i18n import negotiate
from app.main import create_app
from tests.complaints.conftest import COMPLAINTS, desk, helpdesk, shop  # noqa: F401
from tests.conftest import make_settings
from tests.deliveries.conftest import clock, ok  # noqa: F401
from tests.visits.conftest import VISITS, visit_body, visits  # noqa: F401

CONTRACTS = "/api/v1/contracts"


def zh(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Accept-Language": "zh-CN"}


@pytest.fixture
async def bare_client(app, sessionmaker, contract) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends no Accept-Language."""
    async def conforms(response: httpx.Response) -> None:
        await response.aread()
        contract.check(response)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test",
                                 event_hooks={"response": [conforms]}) as client:
        yield client


def assert_language(response: httpx.Response, language: str) -> None:
    assert response.headers["content-language"] == language
    assert "Accept-Language" in response.headers["vary"]


class TestNegotiation:
    @pytest.mark.parametrize(("header", "language"), [
        (None, "zh-CN"), ("", "zh-CN"),
        ("en", "en"), ("en-US", "en"), ("EN-gb", "en"),
        ("zh", "zh-CN"), ("zh-CN", "zh-CN"), ("zh-Hans", "zh-CN"), ("zh-Hans-CN", "zh-CN"),
        ("zh-TW", "zh-CN"),  # the only Chinese written here
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh-CN;q=0.8, en;q=0.9", "en"),
        ("en;q=0.5, zh;q=0.5", "en"),  # equal q: the first listed
        ("fr-FR, en;q=0.3", "en"),  # what we do not speak is passed over
        ("fr-FR, de", "zh-CN"),  # nothing we speak: the default
        ("*", "zh-CN"), ("*;q=0.5, en;q=0.1", "zh-CN"),
        ("en;q=0, zh;q=0.1", "zh-CN"), ("en;q=0", "zh-CN"),
        ("zh;q=0, *", "zh-CN"),  # refused, but nothing else is on offer
        ("zh;q=0, en;q=0.1", "en"),
        ("en;q=abc, zh", "zh-CN"), (";;;,,", "zh-CN"), ("x" * 2000, "zh-CN"),
    ])
    def test_the_best_language_for_a_header(self, header, language):
        assert negotiate(header, "zh-CN") == language

    def test_the_default_is_what_is_configured(self):
        assert negotiate("fr", "en") == "en" and negotiate(None, "en") == "en"
        assert negotiate("zh", "en") == "zh-CN"


class TestProblems:
    async def test_chinese_is_the_default(self, bare_client, company):
        response = await bare_client.get(f"{CONTRACTS}/999999", headers=company.rep)
        assert response.status_code == 404
        problem = response.json()
        assert problem["code"] == "contract.not_found"
        assert problem["title"] == "未找到合同" and problem["detail"] == "未找到合同"
        assert_language(response, "zh-CN")

    async def test_english_by_header_keeps_the_detail_raised(self, bare_client, company):
        response = await bare_client.get(f"{CONTRACTS}/999999",
                                         headers={**company.rep, "Accept-Language": "en-US"})
        problem = response.json()
        assert problem["title"] == "Contract not found"
        assert problem["detail"] == "No contract 999999."
        assert_language(response, "en")

    async def test_q_values_decide(self, bare_client, company):
        response = await bare_client.get(f"{CONTRACTS}/999999", headers={
            **company.rep, "Accept-Language": "en;q=0.4, zh-Hans;q=0.9"})
        assert response.json()["title"] == "未找到合同"
        assert_language(response, "zh-CN")
        response = await bare_client.get(f"{CONTRACTS}/999999", headers={
            **company.rep, "Accept-Language": "zh;q=0, en;q=0.1"})
        assert response.json()["title"] == "Contract not found"

    async def test_an_unknown_language_gets_the_default(self, bare_client, company):
        response = await bare_client.get(f"{CONTRACTS}/999999",
                                         headers={**company.rep, "Accept-Language": "fr-FR"})
        assert response.json()["title"] == "未找到合同"
        assert_language(response, "zh-CN")

    async def test_the_default_language_is_a_setting(self, sessionmaker):
        app = create_app(make_settings(default_language="en"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            response = await client.get(CONTRACTS)
            assert response.status_code == 401
            assert response.json()["title"] == "A bearer token is required"
            assert_language(response, "en")
            response = await client.get(CONTRACTS, headers={"Accept-Language": "zh"})
            assert response.json()["title"] == "需要访问令牌（Bearer）"

    async def test_the_detail_is_built_from_the_problems_members(self, client, company, draft):
        contract = await draft()
        response = await client.patch(f"{CONTRACTS}/{contract['id']}",
                                      headers={**zh(company.rep), "If-Match": '"99"'},
                                      json={"title": "新标题"})
        assert response.status_code == 412
        problem = response.json()
        assert problem["code"] == "precondition_failed"
        assert problem["current_version"] == contract["version"]
        assert problem["title"] == "数据在您读取后已被修改"
        assert problem["detail"] == f"当前版本为 {contract['version']}，请重新读取后再提交。"
        english = (await client.patch(f"{CONTRACTS}/{contract['id']}",
                                      headers={**company.rep, "If-Match": '"99"'},
                                      json={"title": "new"})).json()
        assert english["detail"] == (
            f"You edited version 99, but the current version is {contract['version']}.")

    async def test_states_in_a_detail_are_named_in_chinese(self, client, company, draft):
        contract = await draft()
        submitted = await client.post(f"{CONTRACTS}/{contract['id']}/submit",
                                      headers=company.rep)
        assert submitted.status_code == 200, submitted.text
        response = await client.patch(f"{CONTRACTS}/{contract['id']}", headers=zh(company.rep),
                                      json={"title": "新标题"})
        assert response.status_code == 409
        problem = response.json()
        assert problem["code"] == "contract.locked"
        assert problem["status_now"] == "pending_approval"
        assert problem["detail"] == "合同当前为待审批。"

    async def test_validation_messages_in_chinese(self, client, company):
        response = await client.post(CONTRACTS, headers=zh(company.rep),
                                     json={"title": "", "unexpected": 1})
        assert response.status_code == 422
        problem = response.json()
        assert problem["title"] == "请求参数无效"
        by_field = {tuple(e["loc"]): e for e in problem["errors"]}
        assert by_field[("body", "unexpected")]["msg"] == "不允许此字段"
        assert by_field[("body", "payment_schedule")]["msg"] == "缺少此字段"
        assert by_field[("body", "title")]["msg"] == "至少 1 个字符"
        assert "body.payment_schedule: 缺少此字段" in problem["detail"]
        assert_language(response, "zh-CN")
        english = (await client.post(CONTRACTS, headers=company.rep, json={})).json()
        assert english["title"] == "The request is invalid"
        assert {e["msg"] for e in english["errors"]} == {"Field required"}

    async def test_malformed_json_in_chinese(self, client, company):
        response = await client.post(CONTRACTS, content=b"{not json",
                                     headers={**zh(company.rep),
                                              "Content-Type": "application/json"})
        assert response.status_code == 400
        problem = response.json()
        assert problem["title"] == "请求体不是有效的 JSON"
        assert problem["errors"][0]["msg"] == "JSON 格式错误"

    async def test_unknown_query_parameters_are_named(self, client, company):
        response = await client.get(f"{CONTRACTS}?stauts=draft&colour=red",
                                    headers=zh(company.rep))
        assert response.status_code == 400
        assert response.json()["detail"] == "未知的查询参数：colour、stauts。"

    async def test_refusals_of_the_middlewares_too(self, client, company):
        response = await client.post(CONTRACTS, headers={**zh(company.rep),
                                                         "Idempotency-Key": "k" * 256})
        assert response.status_code == 400
        assert response.json()["title"] == "Idempotency-Key 须为 1 至 255 个可见 ASCII 字符"
        assert_language(response, "zh-CN")
        response = await client.post(CONTRACTS, headers=zh(company.rep),
                                     content=b"x" * (1024 * 1024 + 1))
        assert response.status_code == 413
        assert response.json()["detail"] == "请求体不得超过 1048576 字节。"
        assert_language(response, "zh-CN")

    async def test_unknown_paths_and_methods(self, bare_client):
        response = await bare_client.get("/api/v1/no-such-thing")
        assert response.status_code == 404 and response.json()["title"] == "未找到"
        english = await bare_client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en"})
        assert english.json()["title"] == "Not found"

    async def test_answers_without_text_do_not_vary(self, client, company, draft):
        contract = await draft()
        response = await client.get(f"{CONTRACTS}/{contract['id']}", headers=company.rep)
        assert "content-language" not in response.headers


class TestNewerDomains:
    """Complaints, visits and lists speak Chinese by default too (no Accept-Language)."""

    async def test_an_illegal_complaint_transition(self, bare_client, helpdesk):  # noqa: F811
        complaint = await helpdesk.taken()
        response = await bare_client.post(f"{COMPLAINTS}/{complaint['id']}/feedback",
                                          headers=helpdesk.cs, json={"feedback": "已更换"})
        assert response.status_code == 409, response.text
        problem = response.json()
        assert problem["code"] == "state.invalid_transition"
        assert problem["title"] == "当前状态下不允许此操作"
        assert problem["detail"] == "当前状态为已接收，可转到：调查中。"
        assert_language(response, "zh-CN")

    async def test_a_complaint_problem_of_its_own(self, bare_client, helpdesk):  # noqa: F811
        complaint = await helpdesk.assigned(await helpdesk.taken())
        response = await bare_client.post(f"{COMPLAINTS}/{complaint['id']}/remedies",
                                          headers=helpdesk.cs,
                                          json={"kind": "repair", "description": "上门维修"})
        assert response.status_code == 409, response.text
        problem = response.json()
        assert problem["code"] == "complaint.not_remediable"
        assert problem["title"] == "只有在协商处理中、纠正措施实施中或效果验证中才能登记补救措施"
        assert problem["detail"] == "投诉当前为调查中。"

    async def test_visit_problems(self, bare_client, visits, company):  # noqa: F811
        response = await bare_client.post(VISITS, headers=company.rep, json=visit_body(
            company.customer_id, planned_at="2026-03-09T02:00:00Z"))
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "visit.time_in_past"
        assert problem["title"] == "拜访时间须晚于当前时间"
        assert problem["detail"] == f"计划时间 {problem['planned_at']} 已过。"
        assert_language(response, "zh-CN")
        submitted = await visits.submitted()
        response = await bare_client.patch(f"{VISITS}/{submitted['id']}", headers=company.rep,
                                           json={"place": "杭州"})
        assert response.status_code == 409, response.text
        assert response.json()["detail"] == "拜访申请当前为审批中。"

    async def test_a_cursor_of_another_sort(self, bare_client, company, draft):
        await draft()
        await draft()
        first = ok(await bare_client.get(CONTRACTS, headers=company.rep,
                                         params={"limit": 1, "sort": "-created_at"}))
        response = await bare_client.get(CONTRACTS, headers=company.rep, params={
            "limit": 1, "sort": "total", "cursor": first["next_cursor"]})
        assert response.status_code == 400, response.text
        problem = response.json()
        assert problem["code"] == "pagination.cursor_sort_mismatch"
        assert problem["title"] == "该分页游标属于另一种排序"
        assert problem["detail"] == "更改排序后，请不带游标从第一页重新读取。"

class TestFiredRules:
    async def test_rules_are_codes_with_params_in_either_language(self, client, company, draft):
        contract = await draft("600000.00", major_interest=True)
        await client.post(f"{CONTRACTS}/{contract['id']}/submit", headers=company.rep)
        english = await client.get(f"{CONTRACTS}/{contract['id']}", headers=company.rep)
        chinese = await client.get(f"{CONTRACTS}/{contract['id']}", headers=zh(company.rep))
        en_rules = english.json()["approval"]["fired_rules"]
        zh_rules = chinese.json()["approval"]["fired_rules"]
        assert [(r["code"], r["params"]) for r in en_rules] == [
            (r["code"], r["params"]) for r in zh_rules]
        tier = next(r for r in en_rules if r["code"] == "tier.selected")
        assert tier["params"] == {"amount": "600000.00", "tier": 3, "low": "500000.00",
                                  "high": None, "role": "gm"}
        assert tier["message"] == "amount 600,000.00 is in tier 3 (> 500,000.00): gm approves"
        zh_tier = next(r for r in zh_rules if r["code"] == "tier.selected")
        assert zh_tier["message"] == "金额 600,000.00 属于第 3 级（> 500,000.00）：由总经理审批"
        added = next(r for r in zh_rules if r["code"] == "stage.added")
        assert added["params"]["when"] == "major_interest" and "重大利益" in added["message"]
        assert_language(chinese, "zh-CN")
        assert_language(english, "en")

    async def test_the_preview_renders_them_too(self, client, company):
        body = {"document_type": "contract", "amount": "100000.00", "department_id": "east",
                "flags": []}
        preview = await client.post("/api/v1/approvals/preview", headers=zh(company.rep),
                                    json=body)
        assert preview.status_code == 200, preview.text
        assert_language(preview, "zh-CN")
        tier = next(r for r in preview.json()["fired_rules"] if r["code"] == "tier.selected")
        assert tier["message"] == "金额 100,000.00 属于第 1 级（≤ 100,000.00）：由部门负责人审批"
        skipped = next(r for r in preview.json()["fired_rules"] if r["code"] == "stage.skipped")
        assert skipped["message"].startswith("跳过阶段")

    @pytest.mark.parametrize("document_type", [
        "sales_plan", "expense_budget", "expense_override", "deviation_analysis"])
    async def test_the_planning_documents_rules_render_in_both_languages(
            self, client, company, document_type):
        body = {"document_type": document_type, "amount": "100000.01",
                "department_id": "east", "flags": []}

        async def rules(headers: dict[str, str]) -> list[dict]:
            preview = await client.post("/api/v1/approvals/preview", headers=headers, json=body)
            assert preview.status_code == 200, preview.text
            return preview.json()["fired_rules"]

        # By default their chains are fixed: no rule fires, in either language.
        assert await rules(company.rep) == [] and await rules(zh(company.rep)) == []
        # Tiered by amount and with a conditional stage, their rules render like a contract's.
        current = (await client.get("/api/v1/approval-policy", headers=company.admin)).json()
        policy = current["policy"]
        policy["documents"][document_type]["stages"] += [
            {"name": "authority", "tiered": True},
            {"name": "board", "steps": [{"role": "board"}], "when": "major_interest"}]
        saved = await client.put("/api/v1/approval-policy", headers=company.admin, json=policy)
        assert saved.status_code == 200, saved.text
        english, chinese = await rules(company.rep), await rules(zh(company.rep))
        assert [(r["code"], r["params"]) for r in english] == [
            (r["code"], r["params"]) for r in chinese]
        assert [r["message"] for r in english] == [
            "amount 100,000.01 is in tier 2 (> 100,000.00 and ≤ 500,000.00): deputy_gm approves",
            "stage 'board' skipped: applies only when 'major_interest' is set"]
        assert [r["message"] for r in chinese] == [
            "金额 100,000.01 属于第 2 级（> 100,000.00 且 ≤ 500,000.00）：由分管副总经理审批",
            "跳过阶段“董事会审批”：仅在“重大利益”时适用"]

    async def test_a_replay_says_the_language_it_was_first_rendered_in(self, client, company):
        body = {"document_type": "contract", "amount": "100000.00", "department_id": "east",
                "flags": []}
        first = await client.post("/api/v1/approvals/preview", json=body,
                                  headers={**zh(company.rep), "Idempotency-Key": "preview-1"})
        replay = await client.post("/api/v1/approvals/preview", json=body,
                                   headers={**company.rep, "Idempotency-Key": "preview-1"})
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json() == first.json()
        assert replay.headers.get_list("content-language") == ["zh-CN"]


class TestCatalogue:
    async def test_served_in_the_callers_language(self, client, company):
        chinese = await client.get("/api/v1/messages", headers=zh(company.rep))
        assert chinese.status_code == 200
        catalogue = chinese.json()
        assert catalogue["language"] == "zh-CN"
        assert catalogue["actions"]["approve"] == "批准"
        assert catalogue["states"]["pending_approval"] == "待审批"
        assert catalogue["roles"]["deputy_gm"] == "分管副总经理"
        assert catalogue["problems"]["contract.not_found"]["title"] == "未找到合同"
        assert_language(chinese, "zh-CN")
        english = (await client.get("/api/v1/messages", headers=company.rep)).json()
        assert english["language"] == "en" and english["actions"]["approve"] == "Approve"
        assert english["problems"]["contract.not_found"] == {"title": "Contract not found",
                                                             "details": []}

    async def test_the_query_overrides_the_header(self, client, company):
        response = await client.get("/api/v1/messages?language=zh", headers=company.rep)
        assert response.json()["language"] == "zh-CN"
        assert_language(response, "zh-CN")
        response = await client.get("/api/v1/messages?language=en-GB", headers=zh(company.rep))
        assert response.json()["language"] == "en"

    async def test_cacheable_by_its_etag(self, client, company):
        first = await client.get("/api/v1/messages", headers=zh(company.rep))
        etag = first.headers["etag"]
        again = await client.get("/api/v1/messages",
                                 headers={**zh(company.rep), "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        english = await client.get("/api/v1/messages",
                                   headers={**company.rep, "If-None-Match": etag})
        assert english.status_code == 200 and english.headers["etag"] != etag
