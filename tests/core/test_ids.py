"""Integer ids beyond their columns' range, through HTTP on every operation the OpenAPI
document lists: a path id that cannot exist is the resource's own 404, a query or body id
is a 422, a cursor is a 400, and none of them is ever a 500 (PostgreSQL refuses to compare
an INTEGER column with 2**31, SQLite any column with 2**63)."""

import re
from typing import Any

import pytest

from app.core.pagination import encode_cursor, encode_sorted_cursor
from app.main import create_app
from tests.conftest import make_settings
from tests.factories.products import create_product

PROBLEM = "application/problem+json"
BEYOND = [2**31, 2**63]  # beyond INTEGER, beyond BIGINT (and SQLite's 64 bits)
LARGEST = 2**31 - 1  # the largest INTEGER id: in range, and no test creates that many rows

OPENAPI = create_app(make_settings()).openapi()
OPERATIONS = [(method.upper(), path, operation)
              for path, item in OPENAPI["paths"].items()
              for method, operation in item.items()]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _resolve(OPENAPI["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    return schema


def _types(schema: dict[str, Any]) -> set[str]:
    schema = _resolve(schema)
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    for option in schema.get("anyOf", []) + schema.get("allOf", []):
        found |= _types(option)
    return found


def _parameters(where: str) -> list[tuple[str, str, str]]:
    return [(method, path, parameter["name"])
            for method, path, operation in OPERATIONS
            for parameter in operation.get("parameters", [])
            if parameter["in"] == where and "integer" in _types(parameter["schema"])]


def _body_ids(schema: dict[str, Any], loc: tuple[Any, ...] = (),
              seen: frozenset[str] = frozenset()) -> list[tuple[Any, ...]]:
    """Where integer `*_id` fields sit in a request body, lists entered at index 0."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return []
        seen = seen | {schema["$ref"]}
    schema = _resolve(schema)
    found = []
    for name, field in schema.get("properties", {}).items():
        if name.endswith("_id") and "integer" in _types(field):
            found.append((*loc, name))
        for option in [field, *field.get("anyOf", [])]:
            option = _resolve(option) if "$ref" not in option else option
            if option.get("type") == "array":
                found += _body_ids(option["items"], (*loc, name, 0), seen)
            elif "$ref" in option or option.get("properties"):
                found += _body_ids(option, (*loc, name), seen)
    return found


def _body_parameters() -> list[tuple[str, str, tuple[Any, ...]]]:
    return [(method, path, loc)
            for method, path, operation in OPERATIONS
            # JSON bodies: an upload (multipart, the imports) names no ids.
            if "application/json" in operation.get("requestBody", {}).get("content", {})
            for loc in _body_ids(
                operation["requestBody"]["content"]["application/json"]["schema"])]


def _url(path: str, **values: int) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


def _nested(loc: tuple[Any, ...], value: int) -> Any:
    """A body holding `value` at `loc` and nothing else."""
    if not loc:
        return value
    head, rest = loc[0], loc[1:]
    return [_nested(rest, value)] if head == 0 else {head: _nested(rest, value)}


async def _call(client: Any, method: str, url: str, headers: dict[str, str],
                **kwargs: Any) -> Any:
    return await client.request(method, url, headers=headers, **kwargs)


PATH_IDS = _parameters("path")
QUERY_IDS = [p for p in _parameters("query") if p[2] != "limit"]
BODY_IDS = _body_parameters()
# The walks must keep finding what they are meant to when the document changes shape.
assert len(PATH_IDS) >= 40
assert {("GET", "/api/v1/quotes", "customer_id"), ("GET", "/api/v1/contracts", "customer_id"),
        ("GET", "/api/v1/quotes", "opportunity_id")} <= set(QUERY_IDS)
assert {("POST", "/api/v1/quotes", ("lines", 0, "product_id")),
        ("POST", "/api/v1/contracts", ("quote_id",))} <= set(BODY_IDS)


class TestPathIds:
    @pytest.mark.parametrize("value", BEYOND)
    @pytest.mark.parametrize(("method", "path", "name"), PATH_IDS)
    async def test_beyond_the_range_is_the_resources_404(self, client, admin, method, path,
                                                          name, value):
        response = await _call(client, method, _url(path, **{name: value}), admin)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        problem = response.json()
        documented = OPENAPI["paths"][path][method.lower()]["responses"]["404"]["description"]
        assert f"`{problem['code']}`" in documented, (problem, documented)

    @pytest.mark.parametrize(("method", "path", "name"),
                             [p for p in PATH_IDS if p[0] in ("GET", "DELETE")])
    async def test_same_body_as_a_missing_id(self, client, admin, method, path, name):
        missing = await _call(client, method, _url(path, **{name: LARGEST}), admin)
        assert missing.status_code == 404, missing.text
        for value in BEYOND:
            beyond = await _call(client, method, _url(path, **{name: value}), admin)
            assert beyond.json() == {
                key: item.replace(str(LARGEST), str(value)) if isinstance(item, str) else item
                for key, item in missing.json().items()}

    async def test_the_token_is_checked_first(self, client, admin):
        url = f"/api/v1/customers/{2**63}"
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers=admin)).status_code == 404


class TestQueryIds:
    @pytest.mark.parametrize("value", BEYOND)
    @pytest.mark.parametrize(("method", "path", "name"), QUERY_IDS)
    async def test_beyond_the_range_is_422(self, client, admin, method, path, name, value):
        response = await _call(client, method, _url(path), admin, params={name: value})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert ["query", name] in [e["loc"] for e in problem["errors"]]

    async def test_the_largest_id_filters_and_one_more_is_refused(self, client, admin):
        response = await client.get("/api/v1/quotes", headers=admin,
                                    params={"customer_id": LARGEST, "opportunity_id": LARGEST})
        assert response.status_code == 200 and response.json()["items"] == []
        response = await client.get("/api/v1/quotes", headers=admin,
                                    params={"customer_id": LARGEST + 1})
        assert response.status_code == 422


class TestBodyIds:
    @pytest.mark.parametrize("value", BEYOND)
    @pytest.mark.parametrize(("method", "path", "loc"), BODY_IDS)
    async def test_beyond_the_range_is_422(self, client, admin, method, path, loc, value):
        response = await _call(client, method, _url(path), admin, json=_nested(loc, value))
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert ["body", *loc] in [e["loc"] for e in problem["errors"]], problem

    async def test_only_the_id_is_wrong_in_an_otherwise_valid_body(self, client, admin):
        response = await client.post("/api/v1/quotes", headers=admin, json={
            "customer_id": 2**31, "title": "报价", "lines": [{"product_id": 1, "quantity": "1"}]})
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["errors"]] == [["body", "customer_id"]]


class TestCursors:
    @pytest.mark.parametrize("values", [[2**31], [2**63], [-(2**63) - 1], ["7"], ["\x00"]])
    async def test_product_cursor_the_column_cannot_compare_is_400(self, client, admin, values):
        response = await client.get("/api/v1/products", headers=admin,
                                    params={"cursor": encode_sorted_cursor("id", values)})
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "pagination.invalid_cursor"

    @pytest.mark.parametrize("values", [[7], ["a\x00"]])
    async def test_department_cursor_of_the_wrong_kind_is_400(self, client, admin, values):
        response = await client.get("/api/v1/departments", headers=admin,
                                    params={"cursor": encode_sorted_cursor("id", values)})
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "pagination.invalid_cursor"

    async def test_event_feed_position_beyond_bigint_is_400(self, client, admin):
        response = await client.get("/api/v1/events", headers=admin,
                                    params={"after": encode_cursor([2**63])})
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "pagination.invalid_cursor"

    @pytest.mark.parametrize(("url", "name", "largest", "encode"), [
        ("/api/v1/products", "cursor", LARGEST, lambda v: encode_sorted_cursor("id", v)),
        ("/api/v1/events", "after", 2**63 - 1, encode_cursor)])
    async def test_bounded_by_the_column(self, client, session, admin, url, name, largest,
                                         encode):
        await create_product(session)
        response = await client.get(url, headers=admin, params={name: encode([largest])})
        assert response.status_code == 200, response.text
        assert response.json()["items"] == []
        response = await client.get(url, headers=admin, params={name: encode([largest + 1])})
        assert response.status_code == 400, response.text
