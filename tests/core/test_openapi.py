"""openapi/openapi.json is the contract clients code against: it must be what the app
serves, and true. Regenerate with `salesflow openapi --output openapi/openapi.json`.

The rules are checked over every operation, so a route added later is held to them
without a test of its own (app/core/openapi.py derives most of them from its shape)."""

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate

from app.core.errors import AppError
from app.main import create_app
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "openapi" / "openapi.json"
DOCUMENT = create_app(make_settings()).openapi()
SCHEMAS = DOCUMENT["components"]["schemas"]
WRITES = ("post", "put", "patch", "delete")
PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
# Writes on a versioned resource that take no If-Match: actions whose outcome does not
# depend on the version the caller read (the submitter withdrawing what is pending, which
# the state guards; a new webhook secret).
UNCONDITIONAL_WRITES = frozenset({
    "rotate_webhook_secret",
    # Creates a new override under its budget: nothing of the budget's is edited.
    "request_expense_override",
})


def operations(section: str = "paths") -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOCUMENT.get(section, {}).items():
        for method, operation in item.items():
            yield method, path, operation


def header_names(operation: dict[str, Any]) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}


def has_parameter(operation: dict[str, Any], where: str) -> bool:
    return any(p["in"] == where for p in operation.get("parameters", []))


def codes(operation: dict[str, Any], status: str) -> str:
    return operation["responses"][status]["description"]


def is_versioned(operation: dict[str, Any]) -> bool:
    return any("ETag" in response.get("headers", {})
               for status, response in operation["responses"].items() if status[0] == "2")


def ids(items: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    return [operation["operationId"] for _m, _p, operation in items]


ALL = list(operations())


async def test_committed_document_matches_the_app(client):
    served = (await client.get("/openapi.json")).json()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == served, (
        "openapi/openapi.json is stale: run `salesflow openapi --output openapi/openapi.json`")


def test_the_document_is_valid_openapi_3_1():
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate(DOCUMENT)


def test_every_operation_has_a_stable_unique_id():
    found = [op["operationId"] for section in ("paths", "webhooks")
             for _m, _p, op in operations(section)]
    assert len(found) == len(set(found))
    assert "create_customer" in found and "verify_audit_log" in found


def test_the_document_says_who_serves_it_and_under_what_terms():
    assert DOCUMENT["servers"] and all(server["url"] for server in DOCUMENT["servers"])
    assert DOCUMENT["info"]["contact"]["name"] and DOCUMENT["info"]["contact"]["url"]
    assert DOCUMENT["info"]["license"]["name"] and DOCUMENT["info"]["license"]["url"]


def test_every_tag_in_use_is_declared_with_a_description():
    declared = {tag["name"]: tag.get("description") for tag in DOCUMENT["tags"]}
    used = {tag for section in ("paths", "webhooks") for _m, _p, op in operations(section)
            for tag in op.get("tags", [])}
    assert used <= set(declared), f"describe these in app/api.py API_TAGS: {used - set(declared)}"
    assert all(declared[tag] for tag in used)


def test_one_schema_per_model():
    assert not [name for name in SCHEMAS if name.endswith(("-Input", "-Output"))]
    assert "PolicyDocument" in SCHEMAS and "DiscountBand" in SCHEMAS
    # Read-only models keep their output form: money is a decimal string, not a number.
    assert SCHEMAS["ContractRead"]["properties"]["total"]["type"] == "string"


def test_no_fastapi_validation_error_schema_is_left():
    assert "HTTPValidationError" not in SCHEMAS and "ValidationError" not in SCHEMAS
    assert "HTTPValidationError" not in json.dumps(DOCUMENT)


class TestRefusals:
    @pytest.mark.parametrize("method,path,operation", ALL, ids=ids(ALL))
    def test_every_refusal_is_a_problem(self, method, path, operation):
        refusals = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
        assert refusals, "an operation with no refusal declared"
        for status, response in refusals.items():
            assert response["content"] == PROBLEM_CONTENT, status
            assert response["description"].startswith("`"), status  # the codes it carries

    @pytest.mark.parametrize("method,path,operation", ALL, ids=ids(ALL))
    def test_refusals_follow_the_operations_shape(self, method, path, operation):
        responses = operation["responses"]
        assert "503" in responses and "Retry-After" in responses["503"]["headers"]
        if operation.get("security"):
            assert "auth.missing_token" in codes(operation, "401")
            assert "WWW-Authenticate" in responses["401"]["headers"]
        if has_parameter(operation, "path"):
            assert "404" in responses
        if operation.get("parameters") or "requestBody" in operation:
            assert "validation_error" in codes(operation, "422")
        if "requestBody" in operation:
            assert "request.malformed_json" in codes(operation, "400")
            assert "request_too_large" in codes(operation, "413")
        if "If-Match" in header_names(operation):
            assert "precondition_failed" in codes(operation, "412")
            assert "precondition_malformed" in codes(operation, "400")
        if any(p["name"] == "cursor" for p in operation.get("parameters", [])):
            assert "pagination.invalid_cursor" in codes(operation, "400")
        if method == "post":
            assert "idempotency.key_invalid" in codes(operation, "400")
            assert "idempotency.in_progress" in codes(operation, "409")
            assert "idempotency.key_reused" in codes(operation, "422")

    def test_route_declared_refusals_are_kept_beside_the_derived_ones(self):
        create = DOCUMENT["paths"]["/api/v1/customers"]["post"]
        assert "customer.duplicate_credit_code" in codes(create, "409")
        assert "idempotency.in_progress" in codes(create, "409")
        get = DOCUMENT["paths"]["/api/v1/contracts/{contract_id}"]["get"]
        assert codes(get, "404") == "`contract.not_found`: Contract not found"


class TestHeaders:
    @pytest.mark.parametrize("method,path,operation",
                             [o for o in ALL if o[0] == "post"],
                             ids=ids([o for o in ALL if o[0] == "post"]))
    def test_every_post_declares_idempotency_key(self, method, path, operation):
        assert "Idempotency-Key" in header_names(operation)

    def test_only_posts_declare_idempotency_key(self):
        assert not [op["operationId"] for method, _p, op in ALL
                    if method != "post" and "Idempotency-Key" in header_names(op)]

    @pytest.mark.parametrize("method,path,operation",
                             [o for o in ALL if o[0] in WRITES and "{" in o[1]],
                             ids=ids([o for o in ALL if o[0] in WRITES and "{" in o[1]]))
    def test_writes_on_a_versioned_resource_declare_if_match(self, method, path, operation):
        item = DOCUMENT["paths"][path].get("get")
        if not (is_versioned(operation) or (item is not None and is_versioned(item))):
            return
        if operation["operationId"] in UNCONDITIONAL_WRITES:
            assert "If-Match" not in header_names(operation)
            return
        assert "If-Match" in header_names(operation)

    def test_versioned_resources_declare_etag_and_created_ones_location(self):
        create = DOCUMENT["paths"]["/api/v1/contracts"]["post"]["responses"]["201"]
        assert {"ETag", "Location"} <= set(create["headers"])
        read = DOCUMENT["paths"]["/api/v1/contracts/{contract_id}"]["get"]["responses"]["200"]
        assert set(read["headers"]) == {"ETag"}
        page = DOCUMENT["paths"]["/api/v1/contracts"]["get"]["responses"]["200"]
        assert "headers" not in page

    def test_webhooks_need_no_credentials_of_the_receiver(self):
        webhooks = list(operations("webhooks"))
        assert webhooks and all(op["security"] == [] for _m, _p, op in webhooks)


class TestProblemSchema:
    def test_every_extension_member_raised_is_declared(self):
        """Whatever an AppError is raised with (`Conflict(..., current_status=…)`) reaches
        the client as a member of the problem: the schema must name it."""
        declared = set(SCHEMAS["Problem"]["properties"])
        raised = extension_members()
        assert set(raised) <= declared, {
            name: sorted(raised[name]) for name in set(raised) - declared}

    async def test_a_validation_problem_matches_the_schema(self, client, admin):
        response = await client.get("/api/v1/contracts?limit=1000", headers=admin)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert_problem(problem)
        assert problem["errors"][0]["loc"] == ["query", "limit"]

    async def test_a_malformed_body_problem_matches_the_schema(self, client, admin):
        response = await client.post("/api/v1/departments", headers={
            **admin, "Content-Type": "application/json"}, content=b"{")
        assert response.status_code == 400
        assert response.json()["code"] == "request.malformed_json"
        assert_problem(response.json())


def assert_problem(problem: dict[str, Any]) -> None:
    # The schema's references (#/components/schemas/…) resolve against this root.
    schema = {**SCHEMAS["Problem"], "components": {"schemas": SCHEMAS}}
    jsonschema.Draft202012Validator(schema).validate(problem)


def _error_classes() -> set[str]:
    import app.models  # noqa: F401 - every domain, so every error class is defined

    found: set[str] = set()
    pending = [AppError]
    while pending:
        cls = pending.pop()
        found.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return found


def extension_members() -> dict[str, set[str]]:
    """Keyword arguments given to an AppError, at a raise or in a subclass's __init__."""
    errors = _error_classes()
    members: dict[str, set[str]] = {}

    def note(call: ast.Call, where: str) -> None:
        for keyword in call.keywords:
            if keyword.arg not in (None, "detail"):
                members.setdefault(keyword.arg, set()).add(where)

    for file in sorted((ROOT / "app").rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        where = str(file.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in errors:
                    note(node, where)
            if isinstance(node, ast.ClassDef) and node.name in errors:
                for inner in ast.walk(node):
                    if (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
                            and inner.func.attr == "__init__"):
                        note(inner, where)
    return members


class TestEveryResponseOfTheSuite:
    """tests/contract.py holds every response the `client` fixture receives to the
    document; these show that it would notice."""

    def check(self, contract, method: str, path: str, status: int,
              headers: dict[str, str] | None = None) -> None:
        request = httpx.Request(method, f"http://test{path}")
        contract.check(httpx.Response(status, headers=headers, request=request))

    def test_an_undeclared_status_fails(self, contract):
        with pytest.raises(AssertionError, match="status not declared for list_customers"):
            self.check(contract, "GET", "/api/v1/customers", 409)

    def test_a_refusal_that_is_not_a_problem_fails(self, contract):
        with pytest.raises(AssertionError):
            self.check(contract, "GET", "/api/v1/customers", 422,
                       {"content-type": "application/json"})

    def test_a_promised_header_that_is_missing_fails(self, contract):
        with pytest.raises(AssertionError, match="no ETag header"):
            self.check(contract, "GET", "/api/v1/contracts/1", 200)
        self.check(contract, "GET", "/api/v1/contracts/1", 200, {"ETag": '"1"'})

    def test_literal_segments_win_over_parameters(self, contract):
        assert contract.operation("POST", "/api/v1/approvals/preview")["operationId"] == (
            "preview_approval")
        assert contract.operation("GET", "/api/v1/approvals/7")["operationId"] == "get_approval"
