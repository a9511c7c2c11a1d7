"""API.md conventions, through HTTP: problems, validation, pages, ETags, request ids."""

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.customers.models import Customer
from app.events.models import Event
from tests.factories.departments import create_department
from tests.factories.products import create_product

PROBLEM = "application/problem+json"


async def _counts(session) -> tuple[int, int, int]:
    return (
        await session.scalar(select(func.count()).select_from(Customer)),
        await session.scalar(select(func.count()).select_from(AuditEntry)),
        await session.scalar(select(func.count()).select_from(Event)),
    )


@pytest.fixture
async def rep(session, headers_for):
    department = await create_department(session, id="east")
    return headers_for("sales_rep", sub="rep.a", dept=department.id)


class TestProblems:
    async def test_unknown_route_is_a_problem(self, client, admin):
        response = await client.get("/api/v1/nothing-here", headers=admin)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith(PROBLEM)
        body = response.json()
        assert body["code"] == "not_found" and body["status"] == 404 and body["type"]

    async def test_wrong_method_is_a_problem(self, client, admin):
        response = await client.put("/api/v1/customers", headers=admin, json={})
        assert response.status_code == 405
        assert response.json()["code"] == "method_not_allowed"

    async def test_unexpected_failure_hides_internals(self, client, rep, monkeypatch):
        from app.customers import service

        async def broken(*_args, **_kwargs):
            raise RuntimeError("secret internals: password=hunter2")

        monkeypatch.setattr(service, "list_customers", broken)
        response = await client.get("/api/v1/customers", headers=rep)
        assert response.status_code == 500
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["code"] == "internal_error"
        assert "hunter2" not in response.text and "Traceback" not in response.text


class TestBadInputChangesNothing:
    @pytest.mark.parametrize(("body", "where"), [
        ({"name": "A", "colour": "red"}, ["body", "colour"]),
        ({"name": 42}, ["body", "name"]),
        ({"name": "x" * 201}, ["body", "name"]),
        ({"name": ""}, ["body", "name"]),
        ({}, ["body", "name"]),
        ({"name": "A", "credit_limit": "-1.00"}, ["body", "credit_limit"]),
        ({"name": "A", "credit_limit": "10.005"}, ["body", "credit_limit"]),
        ({"name": "A", "credit_limit": "NaN"}, ["body", "credit_limit"]),
        ({"name": "A", "payment_terms_days": "soon"}, ["body", "payment_terms_days"]),
        ({"name": "A", "credit_code": "91440300MA5ABCDE1X"}, ["body", "credit_code"]),
        ({"name": "A", "contacts": [{"name": "Li", "email": "not-an-email"}]},
         ["body", "contacts", 0, "email"]),
    ])
    async def test_validation_problem(self, client, session, rep, body, where):
        before = await _counts(session)
        response = await client.post("/api/v1/customers", json=body, headers=rep)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert any(e["loc"] == where and e["msg"] for e in problem["errors"]), problem
        assert await _counts(session) == before

    async def test_malformed_json(self, client, session, rep):
        before = await _counts(session)
        response = await client.post("/api/v1/customers", content=b'{"name": "A",',
                                     headers={**rep, "Content-Type": "application/json"})
        assert response.status_code == 400
        assert response.json()["code"] == "request.malformed_json"
        assert await _counts(session) == before

    async def test_body_that_is_not_an_object(self, client, rep):
        response = await client.post("/api/v1/customers", json=["A"], headers=rep)
        assert response.status_code == 422

    @pytest.mark.parametrize("limit", [0, -1, 201, 10_000, "ten"])
    async def test_page_limit_out_of_range(self, client, rep, limit):
        response = await client.get("/api/v1/customers", params={"limit": limit}, headers=rep)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "limit"]

    async def test_path_id_not_a_number(self, client, rep):
        response = await client.get("/api/v1/customers/abc", headers=rep)
        assert response.status_code == 422

    async def test_money_accepts_numbers_and_strings(self, client, admin):
        for n, price in enumerate((120, "120", 120.5, "120.50")):
            response = await client.post("/api/v1/products", headers=admin, json={
                "sku": f"P-{n}", "name": "Pump",
                "list_price": price, "floor_price": "100"})
            assert response.status_code == 201, response.text
            assert response.json()["list_price"] in ("120.00", "120.50")


class TestCursorPagination:
    async def test_pages_cover_everything_once_in_order(self, client, session, admin):
        created = [await create_product(session) for _ in range(5)]
        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            body = (await client.get("/api/v1/products", params=params, headers=admin)).json()
            seen += [item["id"] for item in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(p.id for p in created)
        assert pages == 3

    async def test_default_limit_and_last_page(self, client, session, admin):
        await create_product(session)
        body = (await client.get("/api/v1/products", headers=admin)).json()
        assert len(body["items"]) == 1 and body["next_cursor"] is None

    @pytest.mark.parametrize("cursor", ["garbage!", "eyJ4IjoxfQ", "W10", "WyJhIiwiYiJd"])
    async def test_bad_cursor(self, client, admin, cursor):
        response = await client.get("/api/v1/products", params={"cursor": cursor}, headers=admin)
        assert response.status_code == 400
        assert response.json()["code"] == "pagination.invalid_cursor"


class TestETags:
    async def test_get_carries_etag_and_stale_write_is_412(self, client, session, admin):
        product = await create_product(session)
        url = f"/api/v1/products/{product.id}"
        first = await client.get(url, headers=admin)
        assert first.headers["etag"] == '"1"' and first.json()["version"] == 1

        ok = await client.patch(url, json={"name": "Renamed"},
                                headers={**admin, "If-Match": first.headers["etag"]})
        assert ok.status_code == 200 and ok.headers["etag"] == '"2"'

        stale = await client.patch(url, json={"name": "Lost update"},
                                   headers={**admin, "If-Match": first.headers["etag"]})
        assert stale.status_code == 412
        assert stale.json()["code"] == "precondition_failed"
        assert (await client.get(url, headers=admin)).json()["name"] == "Renamed"

    async def test_weak_etag_and_star_are_accepted(self, client, session, admin):
        product = await create_product(session)
        url = f"/api/v1/products/{product.id}"
        assert (await client.patch(url, json={"name": "B"},
                                   headers={**admin, "If-Match": 'W/"1"'})).status_code == 200
        assert (await client.patch(url, json={"name": "C"},
                                   headers={**admin, "If-Match": "*"})).status_code == 200

    async def test_malformed_if_match(self, client, session, admin):
        product = await create_product(session)
        response = await client.patch(f"/api/v1/products/{product.id}", json={"name": "B"},
                                      headers={**admin, "If-Match": "version-1"})
        assert response.status_code == 400
        assert response.json()["code"] == "precondition_malformed"

    async def test_stale_delete_is_412(self, client, session, admin):
        product = await create_product(session)
        response = await client.delete(f"/api/v1/products/{product.id}",
                                       headers={**admin, "If-Match": '"7"'})
        assert response.status_code == 412
        assert (await client.get(f"/api/v1/products/{product.id}", headers=admin)).status_code == 200


class TestRequestId:
    async def test_generated_when_absent(self, client):
        response = await client.get("/healthz")
        assert len(response.headers["x-request-id"]) == 32

    async def test_echoed_when_sent(self, client, admin):
        response = await client.get("/api/v1/products", headers={**admin, "X-Request-ID": "abc-123"})
        assert response.headers["x-request-id"] == "abc-123"

    async def test_unsafe_value_is_replaced(self, client):
        response = await client.get("/healthz", headers={"X-Request-ID": "a b\tc<script>"})
        assert response.headers["x-request-id"] != "a b\tc<script>"

    async def test_problem_responses_carry_it(self, client):
        response = await client.get("/api/v1/products", headers={"X-Request-ID": "req-401"})
        assert response.status_code == 401 and response.headers["x-request-id"] == "req-401"


class TestOperational:
    async def test_readyz(self, client):
        response = await client.get("/readyz")
        assert response.status_code == 200 and response.json()["status"] == "ready"

    async def test_metrics(self, client, admin):
        await client.get("/api/v1/products", headers=admin)
        text = (await client.get("/metrics")).text
        assert 'salesflow_http_requests_total{method="GET",route="/api/v1/products",status="200"}' in text
        assert "salesflow_http_request_duration_seconds_bucket" in text

    async def test_metric_labels_use_route_templates(self, client, session, admin):
        product = await create_product(session)
        await client.get(f"/api/v1/products/{product.id}", headers=admin)
        await client.get("/api/v1/no/such/thing", headers=admin)
        text = (await client.get("/metrics")).text
        assert 'route="/api/v1/products/{product_id}",status="200"' in text
        assert f"/api/v1/products/{product.id}" not in text
        assert 'route="unmatched",status="404"' in text

    async def test_docs_are_served_without_a_cdn(self, client):
        for page in ("/docs", "/redoc"):
            html = (await client.get(page)).text
            assert "cdn" not in html.lower() and "unpkg" not in html.lower()
            assert "/docs-assets/" in html
        bundle = await client.get("/docs-assets/swagger-ui-bundle.js")
        assert bundle.status_code == 200 and len(bundle.content) > 500_000
        assert (await client.get("/docs-assets/redoc.standalone.js")).status_code == 200
        assert (await client.get("/docs-assets/swagger-ui.css")).status_code == 200

    async def test_openapi_is_3_1_with_bearer_security(self, client):
        document = (await client.get("/openapi.json")).json()
        assert document["openapi"].startswith("3.1")
        assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"



class TestPatchNulls:
    @pytest.mark.parametrize("field", ["name", "list_price", "tax_rate", "active", "sku"])
    async def test_required_fields_cannot_be_nulled(self, client, session, admin, field):
        product = await create_product(session)
        response = await client.patch(f"/api/v1/products/{product.id}", headers=admin,
                                      json={field: None})
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", field]
        assert (await client.get(f"/api/v1/products/{product.id}", headers=admin)).json()["version"] == 1

    async def test_optional_fields_can_be_cleared(self, client, session, admin):
        product = await create_product(session, product_line="pumps")
        response = await client.patch(f"/api/v1/products/{product.id}", headers=admin,
                                      json={"product_line": None})
        assert response.status_code == 200 and response.json()["product_line"] is None
