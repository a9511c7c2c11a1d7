"""openapi/openapi.json is the contract clients code against: it must be what the app
serves. Regenerate with `salesflow openapi --output openapi/openapi.json`."""

import json
from pathlib import Path

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


async def test_committed_document_matches_the_app(client):
    served = (await client.get("/openapi.json")).json()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == served, (
        "openapi/openapi.json is stale: run `salesflow openapi --output openapi/openapi.json`")


async def test_every_operation_has_a_stable_unique_id(client):
    document = (await client.get("/openapi.json")).json()
    ids = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert "create_customer" in ids and "verify_audit_log" in ids


async def test_errors_are_documented_as_problems(client):
    document = (await client.get("/openapi.json")).json()
    create = document["paths"]["/api/v1/customers"]["post"]["responses"]
    assert "application/problem+json" in create["409"]["content"]
    assert "customer.duplicate_credit_code" in create["409"]["description"]
