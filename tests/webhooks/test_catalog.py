"""The event catalog is the published contract of events (SPEC §6): every type the code
emits is in it, /openapi.json publishes it as webhooks, and the payloads that real flows
write match the published schemas field for field."""

import ast
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

from app import worker
from app.approvals import sla
from app.calendar.working_time import local_date
from app.events.models import Event
from app.events.types import EVENT_TYPES, SCHEMA_VERSION, is_known
from app.webhooks.catalog import CATALOG, SPECS
from tests.factories.quotes import quote_body, quote_line

APP = Path(__file__).resolve().parents[2] / "app"
EVENT_TYPE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
# Dotted strings that are not event types: logger names and foreign keys.
NOT_EVENT_CALLS = {"get_logger", "ForeignKey"}
# Catalogued for the webhook feature, which emits them itself.
EMITTED_ELSEWHERE = {"webhook.test", "webhook.subscription_disabled"}
SIGN = {"signed_date": "2026-01-05", "signatories": [
    {"party": "customer", "name": "王总"}, {"party": "company", "name": "周总"}]}


def _called_name(call: ast.Call) -> str:
    target = call.func
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")


# ApprovalEvents: a document's approval events, recorded by app/approvals/documents.py.
RECORDING_CALLS = {"record_change", "emit", "ApprovalEvents"}


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _recording_helpers(trees: list[ast.AST]) -> set[str]:
    """Names of the functions that take an `event_type` and pass it on to record_change,
    emit or another such helper, in any module: `quotes.service.move`, the approval
    adapters' `_move`, … (a fixed point, as helpers call helpers across modules)."""
    candidates = [f for tree in trees for f in _functions(tree)
                  if "event_type" in {a.arg for a in f.args.args + f.args.kwonlyargs}]
    helpers: set[str] = set()
    while True:
        found = {f.name for f in candidates if any(
            isinstance(n, ast.Call) and _called_name(n) in RECORDING_CALLS | helpers
            for n in ast.walk(f))}
        if found <= helpers:
            return helpers
        helpers |= found


def _emitted_event_types() -> dict[str, str]:
    """Event type literals in app/, with where each is: in every module that records
    changes, directly or through a helper (the approval adapters, the quote expiry sweep),
    a dotted string passed to any call — `record_change(event_type=…)`, `emit(type=…)`, or
    a helper that passes the type on (`self._move(…, "contract.approved")`)."""
    modules = {path: ast.parse(path.read_text(encoding="utf-8"))
               for path in sorted(APP.rglob("*.py")) if path.name != "catalog.py"}
    recording = RECORDING_CALLS | _recording_helpers(list(modules.values()))
    found: dict[str, str] = {}
    for path, tree in modules.items():
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        if not any(_called_name(c) in recording for c in calls):
            continue
        for call in calls:
            if _called_name(call) in NOT_EVENT_CALLS:
                continue
            arguments = call.args + [k.value for k in call.keywords if k.arg != "foreign_key"]
            for argument in arguments:
                if (isinstance(argument, ast.Constant) and isinstance(argument.value, str)
                        and EVENT_TYPE.match(argument.value)):
                    found.setdefault(argument.value, f"{path.relative_to(APP.parent)}:"
                                                     f"{call.lineno}")
    return found


class TestCatalogCoversTheCode:
    def test_every_emitted_type_is_catalogued(self):
        emitted = _emitted_event_types()
        # The scan sees direct calls and types handed to helpers alike, also from modules
        # that only call a helper of another (approval adapters, the quote expiry sweep).
        assert {"customer.created", "approval.step_pending", "contract.approved",
                "contract.termination_recalled", "lead.contacted", "quote.approved",
                "quote.expired", "opportunity.proposal_rejected"} <= emitted.keys()
        undocumented = {t: where for t, where in emitted.items() if t not in CATALOG}
        assert not undocumented, (
            f"events emitted but not in app/webhooks/catalog.py CATALOG: {undocumented}")

    def test_every_catalogued_type_is_emitted(self):
        stale = CATALOG.keys() - _emitted_event_types().keys() - EMITTED_ELSEWHERE
        assert not stale, f"catalogued but emitted nowhere: {sorted(stale)}"

    def test_is_known(self):
        assert is_known("contract.approved") and is_known("webhook.test")
        assert not is_known("contract.exploded") and not is_known("")

    def test_each_entry_is_complete(self):
        for event_type, spec in CATALOG.items():
            assert spec.type == event_type and spec.description.strip()
            assert spec.message.model_fields["data"].annotation is spec.data
            assert spec.message.model_json_schema()["properties"]["type"]["const"] == event_type


class TestTypesAgreeWithTheCatalog:
    """emit() accepts the types in app/events/types.py; receivers get the schema the
    catalog publishes for each. Neither may have a type the other lacks."""

    def test_every_type_has_exactly_one_payload_schema(self):
        counts = Counter(spec.type for spec in SPECS)
        wrong = {t: counts[t] for t in EVENT_TYPES if counts[t] != 1}
        assert not wrong, f"schemas per type, where not exactly one: {wrong}"

    def test_every_catalogued_type_is_in_the_set(self):
        extra = {spec.type for spec in SPECS} - EVENT_TYPES
        assert not extra, f"catalogued but not in app/events/types.py: {sorted(extra)}"


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


async def test_openapi_publishes_every_event_as_a_webhook(client):
    document = (await client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1.")
    assert set(document["webhooks"]) == set(CATALOG)
    ids = set()
    for event_type, spec in CATALOG.items():
        operation = document["webhooks"][event_type]["post"]
        ids.add(operation["operationId"])
        assert operation["summary"] == event_type and operation["tags"] == ["webhooks"]
        for words in ("webhook-id", "webhook-timestamp", "webhook-signature", "v1,",
                      "2xx", "at least once", f"**Schema version**: {SCHEMA_VERSION}"):
            assert words in operation["description"], (event_type, words)
        body = _resolve(document, operation["requestBody"]["content"]["application/json"]
                        ["schema"])
        assert set(body["required"]) == {"id", "type", "timestamp", "subject", "sequence",
                                         "schema_version", "data"}
        assert body["properties"]["type"]["const"] == event_type
        assert body["properties"]["subject"]["pattern"] == f"^{spec.entity}:"
        data = _resolve(document, body["properties"]["data"])
        assert set(data["properties"]) == set(spec.data.model_fields) == set(data["required"])
    assert "webhook_contract_approved" in ids and len(ids) == len(CATALOG)
    customer = _resolve(document, document["webhooks"]["customer.updated"]["post"]
                        ["requestBody"]["content"]["application/json"]["schema"])
    customer_data = _resolve(document, customer["properties"]["data"])
    assert customer_data["properties"]["credit_limit"]["type"] == "string"
    assert customer_data["additionalProperties"] is True


# ---- real payloads --------------------------------------------------------------------


@pytest.fixture
async def baseline(session) -> int:
    """The last event before the test's own flows (fixtures' events are checked too)."""
    return await session.scalar(select(func.coalesce(func.max(Event.id), 0)))


def _undocumented_fields(model: BaseModel, where: str = "data") -> list[str]:
    found = [f"{where}.{name}" for name in model.model_extra or {}]
    for name in type(model).model_fields:
        value = getattr(model, name)
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, BaseModel):
                found += _undocumented_fields(item, f"{where}.{name}[{i}]")
    return found


async def assert_events_match_catalog(session, since: int) -> list[str]:
    """Validate every event written after `since` as the message receivers will get, strictly
    (no coercion: a number where a string is published fails), and with no field that
    the catalog does not publish. Returns the types seen, in order."""
    rows = (await session.execute(
        select(Event.event_id, Event.type, Event.subject, Event.occurred_at, Event.data)
        .where(Event.id > since).order_by(Event.id))).all()
    for row in rows:
        assert is_known(row.type), f"{row.type} is not in the catalog"
        message = json.dumps({
            "id": row.event_id, "type": row.type, "timestamp": row.occurred_at.isoformat(),
            "subject": row.subject, "sequence": 1, "schema_version": SCHEMA_VERSION,
            "data": row.data})
        try:
            validated = CATALOG[row.type].message.model_validate_json(message, strict=True)
        except ValueError as exc:
            raise AssertionError(f"{row.type} on {row.subject}: {exc}\n{row.data}") from exc
        assert not _undocumented_fields(validated.data), (  # type: ignore[attr-defined]
            row.type, _undocumented_fields(validated.data))  # type: ignore[attr-defined]
    return [row.type for row in rows]


async def _approve_all(client, company, request_id: int) -> None:
    deciders = [company.finance, company.legal, company.head, company.vp, company.gm,
                company.board]
    while (await client.get(f"/api/v1/approvals/{request_id}",
                            headers=company.admin)).json()["status"] == "pending":
        for headers in deciders:
            response = await client.post(f"/api/v1/approvals/{request_id}/approve",
                                         headers=headers, json={})
            if response.status_code == 200:
                break
        else:
            raise AssertionError(f"nobody could approve request {request_id}")


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


async def test_reference_data_payloads(client, session, admin, company):
    _ok(await client.post("/api/v1/departments", headers=admin, json={
        "id": "north", "name": "North", "head_id": "head.north"}), 201)
    _ok(await client.patch("/api/v1/departments/north", headers=admin,
                           json={"deputy_gm_id": "vp.li"}))
    _ok(await client.delete("/api/v1/departments/north", headers=admin), 204)

    product = _ok(await client.post("/api/v1/products", headers=admin, json={
        "sku": "CAT-1", "name": "Valve", "list_price": "120.5", "floor_price": 100}), 201)
    _ok(await client.patch(f"/api/v1/products/{product['id']}", headers=admin,
                           json={"list_price": "130", "product_line": "valves"}))
    _ok(await client.delete(f"/api/v1/products/{product['id']}", headers=admin), 204)

    customer = _ok(await client.post("/api/v1/customers", headers=company.rep, json={
        "name": "杭州水务", "contacts": [{"name": "Li", "email": "li@example.com"}]}), 201)
    _ok(await client.patch(f"/api/v1/customers/{customer['id']}", headers=company.rep,
                           json={"address": "Hangzhou"}))
    _ok(await client.patch(f"/api/v1/customers/{customer['id']}", headers=company.finance,
                           json={"credit_limit": "50000", "credit_rating": "B"}))
    _ok(await client.delete(f"/api/v1/customers/{customer['id']}", headers=admin), 204)

    _ok(await client.put("/api/v1/calendar/2030-10-01", headers=admin,
                         json={"kind": "holiday", "name": "国庆节"}))
    _ok(await client.delete("/api/v1/calendar/2030-10-01", headers=admin), 204)

    # From the start: the fixtures' events (made through the services) are real ones too.
    seen = await assert_events_match_catalog(session, since=0)
    assert {"department.created", "department.updated", "department.deleted",
            "product.created", "product.updated", "product.deleted", "customer.created",
            "customer.updated", "customer.deleted", "calendar.day_set",
            "calendar.day_removed"} <= set(seen)


async def test_contract_approved_and_signed(client, session, company, draft, baseline):
    contract = await draft("1000.00")
    url = f"/api/v1/contracts/{contract['id']}"
    _ok(await client.patch(url, headers=company.rep, json={"title": "水泵采购合同 (二)"}))
    submitted = _ok(await client.post(f"{url}/submit", headers=company.rep))
    request_id = submitted["approval"]["id"]
    for decider in (company.finance, company.legal, company.head):
        _ok(await client.post(f"/api/v1/approvals/{request_id}/approve",
                              headers=decider, json={"comment": "同意"}))
    _ok(await client.post(f"{url}/sign", headers=company.rep, json=SIGN))

    seen = await assert_events_match_catalog(session, baseline)
    assert {"contract.created", "contract.updated", "contract.submitted", "approval.submitted",
            "approval.step_pending", "approval.step_approved", "approval.completed",
            "contract.approved", "contract.signed"} <= set(seen)


async def test_contract_rejected_and_recalled(client, session, company, submitted, baseline):
    rejected = await submitted("2000.00")
    _ok(await client.post(f"/api/v1/approvals/{rejected['approval']['id']}/reject",
                          headers=company.legal, json={"comment": "条款不清"}))
    recalled = await submitted("3000.00")
    _ok(await client.post(f"/api/v1/contracts/{recalled['id']}/recall",
                          headers=company.rep))

    seen = await assert_events_match_catalog(session, baseline)
    assert {"contract.rejected", "contract.recalled", "approval.completed"} <= set(seen)


async def test_amendment_and_terminations(client, session, company, submitted, baseline):
    async def signed(total: str) -> str:
        contract = await submitted(total)
        await _approve_all(client, company, contract["approval"]["id"])
        _ok(await client.post(f"/api/v1/contracts/{contract['id']}/sign",
                              headers=company.rep, json=SIGN))
        return f"/api/v1/contracts/{contract['id']}"

    original = await signed("5000.00")
    amendment = _ok(await client.post(f"{original}/amendments", headers=company.rep), 201)
    amended = f"/api/v1/contracts/{amendment['id']}"
    request = _ok(await client.post(f"{amended}/submit", headers=company.rep))
    await _approve_all(client, company, request["approval"]["id"])
    _ok(await client.post(f"{amended}/sign", headers=company.rep, json=SIGN))

    ended = _ok(await client.post(f"{amended}/termination", headers=company.rep,
                                  json={"reason": "客户经营困难"}))
    await _approve_all(client, company, ended["termination_approval"]["id"])

    kept = _ok(await client.post(f"{await signed('6000.00')}/termination",
                                 headers=company.rep, json={"reason": "价格分歧"}))
    _ok(await client.post(
        f"/api/v1/approvals/{kept['termination_approval']['id']}/reject",
        headers=company.head, json={"comment": "先协商"}))

    withdrawn = _ok(await client.post(f"{await signed('7000.00')}/termination",
                                      headers=company.rep, json={"reason": "重复下单"}))
    _ok(await client.post(f"/api/v1/contracts/{withdrawn['id']}/termination/recall",
                          headers=company.rep))

    seen = await assert_events_match_catalog(session, baseline)
    assert {"contract.amended", "contract.voided", "contract.termination_requested",
            "contract.terminated", "contract.termination_rejected",
            "contract.termination_recalled"} <= set(seen)


async def test_sla_delegation_and_policy(client, session, company, submitted, baseline):
    await submitted("1000.00")
    assert await sla.sweep_overdue(session, now=datetime(2100, 1, 1, tzinfo=UTC)) >= 1

    today = datetime.now(UTC).date()
    delegation = _ok(await client.post("/api/v1/delegations", headers=company.head, json={
        "delegate_id": "vp.li", "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=7)).isoformat(), "reason": "年假"}), 201)
    _ok(await client.post(f"/api/v1/delegations/{delegation['id']}/revoke",
                          headers=company.head))

    policy = _ok(await client.get("/api/v1/approval-policy", headers=company.admin))
    _ok(await client.put("/api/v1/approval-policy", headers=company.admin,
                         json=policy["policy"]))

    seen = await assert_events_match_catalog(session, baseline)
    assert {"approval.step_overdue", "delegation.created", "delegation.revoked",
            "approval_policy.updated"} <= set(seen)


LEADS = "/api/v1/leads"
OPPORTUNITIES = "/api/v1/opportunities"
QUOTES = "/api/v1/quotes"
LEAD_TYPES = {"lead.created", "lead.updated", "lead.contacted", "lead.qualified",
              "lead.disqualified", "lead.assigned", "lead.converted"}
OPPORTUNITY_TYPES = {"opportunity.created", "opportunity.updated",
                     "opportunity.stage_changed", "opportunity.proposal_submitted",
                     "opportunity.proposal_approved", "opportunity.proposal_rejected",
                     "opportunity.proposal_recalled", "opportunity.won", "opportunity.lost"}
QUOTE_TYPES = {"quote.created", "quote.updated", "quote.submitted", "quote.approved",
               "quote.rejected", "quote.recalled", "quote.sent", "quote.accepted",
               "quote.declined", "quote.expired", "quote.superseded", "quote.revised"}


async def test_lead_payloads(client, session, company, headers_for, baseline):
    erp = headers_for("integration", sub="erp.web")
    body = {"source": "exhibition", "company": "宁波港城机械制造有限公司",
            "contact_name": "王经理", "phone": "021-5555 0000 转 12", "needs": "离心泵"}
    lead = _ok(await client.post(LEADS, headers=company.rep, json=body), 201)
    url = f"{LEADS}/{lead['id']}"
    _ok(await client.patch(url, headers=company.rep,
                           json={"email": "Wang@GangCheng.cn", "needs": None}))
    _ok(await client.post(f"{url}/contact", headers=company.rep))
    _ok(await client.post(f"{url}/qualify", headers=company.rep))
    _ok(await client.post(f"{url}/convert", headers=company.rep, json={
        "opportunity": {"grade": "high", "expected_amount": "480000.00",
                        "expected_close_date": "2030-10-31"},
        "customer": {"address": "宁波市北仑区"}}))

    # The same phone again: flagged as a duplicate; then disqualified.
    duplicate = _ok(await client.post(LEADS, headers=company.rep, json=body), 201)
    assert duplicate["duplicates"]
    _ok(await client.post(f"{LEADS}/{duplicate['id']}/disqualify", headers=company.rep,
                          json={"reason": "重复线索"}))

    # From the web form into the pool, assigned by the head, then converted into the
    # owner's existing customer.
    pooled = _ok(await client.post(LEADS, headers=erp, json={
        "source": "web", "company": "温州瓯江阀门厂", "email": "buy@oujiang.cn",
        "department_id": "east"}), 201)
    pooled_url = f"{LEADS}/{pooled['id']}"
    _ok(await client.post(f"{pooled_url}/assign", headers=company.head,
                          json={"owner_id": "rep.liu"}))
    _ok(await client.post(f"{pooled_url}/assign", headers=company.head,
                          json={"owner_id": "rep.zhang"}))
    _ok(await client.post(f"{pooled_url}/contact", headers=company.rep))
    _ok(await client.post(f"{pooled_url}/qualify", headers=company.rep))
    _ok(await client.post(f"{pooled_url}/convert", headers=company.rep, json={
        "customer_id": company.customer_id,
        "opportunity": {"title": "阀门改造", "grade": "low", "expected_amount": "12000",
                        "expected_close_date": "2030-06-30"}}))

    seen = await assert_events_match_catalog(session, baseline)
    assert LEAD_TYPES | {"customer.created", "opportunity.created"} <= set(seen)


async def test_opportunity_payloads(client, session, company, baseline):
    async def opportunity(grade: str) -> str:
        created = _ok(await client.post(OPPORTUNITIES, headers=company.rep, json={
            "customer_id": company.customer_id, "title": "港城二期水泵项目", "grade": grade,
            "expected_amount": "860000.00", "expected_close_date": "2030-09-30"}), 201)
        return f"{OPPORTUNITIES}/{created['id']}"

    async def stages(url: str, *names: str) -> None:
        for name in names:
            _ok(await client.post(f"{url}/stage", headers=company.rep, json={"stage": name}))

    async def submit(url: str) -> int:
        submitted = _ok(await client.post(f"{url}/proposal/submit", headers=company.rep,
                                          json={"summary": "两台 MP-250 多级泵, 含安装"}))
        return submitted["approval"]["id"]

    won = await opportunity("high")
    _ok(await client.patch(won, headers=company.rep,
                           json={"expected_amount": "900000", "probability": 35}))
    await stages(won, "needs_analysis", "proposal")
    _ok(await client.post(f"/api/v1/approvals/{await submit(won)}/reject",
                          headers=company.head, json={"comment": "价格策略不清"}))
    await submit(won)
    _ok(await client.post(f"{won}/proposal/recall", headers=company.rep))
    _ok(await client.post(f"/api/v1/approvals/{await submit(won)}/approve",
                          headers=company.head, json={"comment": "方案可行"}))
    await stages(won, "negotiation")
    _ok(await client.post(f"{won}/win", headers=company.rep, json={"amount": "845000.00"}))

    lost = await opportunity("low")
    await stages(lost, "needs_analysis")
    _ok(await client.post(f"{lost}/lose", headers=company.rep,
                          json={"reason": "客户选择了竞争对手 (价格)"}))

    seen = await assert_events_match_catalog(session, baseline)
    assert OPPORTUNITY_TYPES <= set(seen)


async def test_quote_payloads(client, session, sessionmaker, company, baseline):
    async def quote(discount: str = "0", **overrides) -> str:
        created = _ok(await client.post(QUOTES, headers=company.rep, json=quote_body(
            company.customer_id, [quote_line(company.product_id, quantity="3",
                                             discount=discount)], **overrides)), 201)
        return f"{QUOTES}/{created['id']}"

    async def submit(url: str, status: str) -> int:
        submitted = _ok(await client.post(f"{url}/submit", headers=company.rep))
        assert submitted["status"] == status, submitted
        return submitted["approval"]["id"]

    opportunity = _ok(await client.post(OPPORTUNITIES, headers=company.rep, json={
        "customer_id": company.customer_id, "title": "二期", "grade": "low",
        "expected_amount": "3000", "expected_close_date": "2030-06-30"}), 201)

    # Within the rep's authority (≤ 5 %): approved at once; sent, accepted, contracted.
    accepted = await quote("5", opportunity_id=opportunity["id"], currency="USD",
                           exchange_rate="7.1", notes="含运费")
    await submit(accepted, "approved")
    _ok(await client.post(f"{accepted}/send", headers=company.rep))
    accepted_quote = _ok(await client.post(f"{accepted}/accept", headers=company.rep))
    _ok(await client.post("/api/v1/contracts", headers=company.rep, json={
        "quote_id": accepted_quote["id"], "delivery_date": "2030-06-30",
        "payment_schedule": [{"kind": "on_delivery", "percent": "100"}]}), 201)

    # Beyond it (10 %): the head approves; sent, declined, then revised into version 2.
    declined = await quote("10")
    _ok(await client.post(f"/api/v1/approvals/{await submit(declined, 'pending_approval')}"
                          "/approve", headers=company.head, json={"comment": "同意"}))
    _ok(await client.post(f"{declined}/send", headers=company.rep))
    _ok(await client.post(f"{declined}/decline", headers=company.rep,
                          json={"reason": "预算削减"}))
    _ok(await client.post(f"{declined}/revise", headers=company.rep), 201)

    # Rejected, edited and submitted again, recalled.
    rejected = await quote("10")
    _ok(await client.post(f"/api/v1/approvals/{await submit(rejected, 'pending_approval')}"
                          "/reject", headers=company.head, json={"comment": "折扣过高"}))
    _ok(await client.patch(rejected, headers=company.rep, json={
        "lines": [quote_line(company.product_id, discount="8")]}))
    await submit(rejected, "pending_approval")
    _ok(await client.post(f"{rejected}/recall", headers=company.rep))

    # Valid through today only: the worker's sweep expires it once the day is over.
    now = datetime.now(UTC)
    expiring = await quote(valid_until=local_date(now).isoformat())
    await submit(expiring, "approved")
    _ok(await client.post(f"{expiring}/send", headers=company.rep))
    done = await worker.run_pass(sessionmaker, lambda: now + timedelta(days=2))
    assert done["quotes_expired"] == 1

    seen = await assert_events_match_catalog(session, baseline)
    assert QUOTE_TYPES | {"contract.created"} <= set(seen)
