"""NUL (U+0000) in anything a client sends is a 422 on both databases (PostgreSQL text
cannot hold it; SQLite would store it), with its location, and changes nothing."""

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.customers.models import Customer
from app.events.models import Event
from app.leads.models import Lead
from app.main import create_app
from app.quotes.models import Quote
from tests.conftest import make_settings
from tests.factories.customers import create_customer
from tests.factories.departments import create_department
from tests.factories.products import create_product

PROBLEM = "application/problem+json"
NUL = "a\x00b"

OPENAPI = create_app(make_settings()).openapi()


def _types(schema: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        schema = OPENAPI["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    for option in schema.get("anyOf", []):
        found |= _types(option)
    return found


# Every list: a GET that pages with `limit` (with 1 for any id in its path).
LIST_STRING_PARAMETERS = [
    (re.sub(r"\{\w+\}", "1", path), parameter["name"])
    for path, item in OPENAPI["paths"].items()
    if "get" in item
    and any(p["name"] == "limit" for p in item["get"].get("parameters", []))
    for parameter in item["get"]["parameters"]
    if parameter["in"] == "query" and "string" in _types(parameter["schema"])
]
# The walk must keep finding what it is meant to when the document changes shape.
assert {("/api/v1/customers", "q"), ("/api/v1/leads", "q"), ("/api/v1/products", "q"),
        ("/api/v1/events", "after"), ("/api/v1/audit-log", "entity_id"),
        ("/api/v1/customers", "cursor"), ("/api/v1/webhooks/1/deliveries", "status")
        } <= set(LIST_STRING_PARAMETERS)


def _nul_errors(response: Any) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["code"] == "validation_error"
    return [e["loc"] for e in problem["errors"] if e["type"] == "string_nul"]


async def _counts(session) -> tuple[int, ...]:
    return tuple([await session.scalar(select(func.count()).select_from(model))
                  for model in (Customer, Lead, Quote, AuditEntry, Event)])


@pytest.fixture
async def east(session):
    return await create_department(session, id="east")


@pytest.fixture
def rep(headers_for, east):
    return headers_for("sales_rep", sub="rep.zhang", dept=east.id)


class TestQueryAndPath:
    @pytest.mark.parametrize(("path", "name"), LIST_STRING_PARAMETERS)
    async def test_nul_in_each_string_query_parameter_of_each_list(self, client, admin, path,
                                                                   name):
        response = await client.get(path, headers=admin, params={name: NUL})
        assert _nul_errors(response) == [["query", name]]

    async def test_nul_in_a_parameter_name(self, client, admin):
        response = await client.get("/api/v1/customers", headers=admin, params={NUL: "1"})
        assert _nul_errors(response) == [["query", NUL]]

    async def test_nul_in_a_report_filter(self, client, admin):
        response = await client.get("/api/v1/reports/funnel", headers=admin,
                                    params={"owner_id": NUL})
        assert _nul_errors(response) == [["query", "owner_id"]]

    async def test_nul_in_a_path_segment(self, client, admin, east):
        response = await client.get("/api/v1/departments/east%00", headers=admin)
        assert _nul_errors(response) == [["path", "department_id"]]
        response = await client.patch("/api/v1/departments/east%00", headers=admin,
                                      json={"name": "East"})
        assert _nul_errors(response) == [["path", "department_id"]]

    async def test_nul_in_a_header(self, client, session, admin):
        product = await create_product(session)
        response = await client.patch(f"/api/v1/products/{product.id}", json={"name": "B"},
                                      headers={**admin, "If-Match": '"1"\x00'})
        assert _nul_errors(response) == [["header", "if-match"]]
        assert (await client.get(f"/api/v1/products/{product.id}",
                                 headers=admin)).json()["version"] == 1


class TestBodies:
    async def test_customer_name_and_nested_contact(self, client, session, rep):
        before = await _counts(session)
        response = await client.post("/api/v1/customers", headers=rep, json={
            "name": "宁波\x00机械", "contacts": [{"name": "王经理"}, {"name": "李\x00"}]})
        assert _nul_errors(response) == [["body", "name"], ["body", "contacts", 1, "name"]]
        assert await _counts(session) == before

    async def test_customer_update(self, client, session, admin, east):
        customer = await create_customer(session, department=east)
        response = await client.patch(f"/api/v1/customers/{customer.id}", headers=admin,
                                      json={"address": "\x00"})
        assert _nul_errors(response) == [["body", "address"]]
        assert (await client.get(f"/api/v1/customers/{customer.id}",
                                 headers=admin)).json()["version"] == 1

    async def test_lead_company(self, client, session, rep):
        before = await _counts(session)
        response = await client.post("/api/v1/leads", headers=rep, json={
            "source": "web", "company": NUL, "contact_name": "王", "phone": "13800138000"})
        assert ["body", "company"] in _nul_errors(response)
        assert await _counts(session) == before

    async def test_quote_title_and_line_description(self, client, session, rep, east):
        customer = await create_customer(session, department=east, owner_id="rep.zhang")
        product = await create_product(session)
        before = await _counts(session)
        response = await client.post("/api/v1/quotes", headers=rep, json={
            "customer_id": customer.id, "title": NUL,
            "lines": [{"product_id": product.id, "quantity": "1", "description": NUL}]})
        assert _nul_errors(response) == [["body", "title"], ["body", "lines", 0, "description"]]
        assert await _counts(session) == before

    async def test_contract_clauses(self, client, session, rep, east):
        customer = await create_customer(session, department=east, owner_id="rep.zhang")
        product = await create_product(session)
        response = await client.post("/api/v1/contracts", headers=rep, json={
            "customer_id": customer.id, "title": "合同", "clauses": "第一条\x00",
            "lines": [{"product_id": product.id, "quantity": "1"}],
            "payment_schedule": [{"kind": "on_delivery", "percent": "100"}]})
        assert _nul_errors(response) == [["body", "clauses"]]
        listed = await client.get("/api/v1/contracts", headers=rep)
        assert listed.json()["items"] == []

    async def test_reject_comment(self, client, admin):
        response = await client.post("/api/v1/approvals/1/reject", headers=admin,
                                     json={"comment": NUL})
        assert _nul_errors(response) == [["body", "comment"]]

    async def test_list_of_strings(self, client, admin):
        response = await client.post("/api/v1/webhooks", headers=admin, json={
            "url": "https://example.com/hook", "event_types": ["contract.*", "lead.\x00"]})
        assert _nul_errors(response) == [["body", "event_types", 1]]
        assert (await client.get("/api/v1/webhooks", headers=admin)).json()["items"] == []

    async def test_key_of_an_object(self, client, admin):
        current = await client.get("/api/v1/approval-policy", headers=admin)
        policy = current.json()["policy"]
        policy["documents"]["con\x00tract"] = policy["documents"]["contract"]
        response = await client.put("/api/v1/approval-policy", headers=admin, json=policy)
        assert _nul_errors(response) == [["body", "documents", "con\x00tract"]]
        after = await client.get("/api/v1/approval-policy", headers=admin)
        assert after.json()["version"] == current.json()["version"]

    async def test_idempotent_retry_replays_the_refusal(self, client, session, rep):
        headers = {**rep, "Idempotency-Key": "nul-1"}
        first = await client.post("/api/v1/customers", headers=headers, json={"name": NUL})
        again = await client.post("/api/v1/customers", headers=headers, json={"name": NUL})
        assert first.status_code == again.status_code == 422
        assert again.json() == first.json()

